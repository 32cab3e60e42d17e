import Dispatch
import Synchronization
import Testing

@testable import ONNXEngine

@Suite("Buffers reused between runs")
struct WorkspaceReuseTests {
    /// An MLP (MatMul, Add, Relu, Softmax, ...) whose intermediate arrays come from the buffer pool.
    static func load() throws -> (ONNXModel, OracleFixture) {
        (try ONNXModel(contentsOfFile: "\(fixturesDirectory)/mlp_digits.onnx"), try OracleFixture(name: "mlp_digits"))
    }

    @Test("repeated runs of one batch shape reuse one workspace and its arrays, with identical results")
    func repeatedRuns() throws {
        let (model, fixture) = try Self.load()
        let first = try model.run(fixture.inputs)
        let afterFirst = model.plan.workspaces.bufferCounts
        #expect(afterFirst.allocated > 0)
        for _ in 0..<5 { #expect(try model.run(fixture.inputs) == first) }
        let afterSix = model.plan.workspaces.bufferCounts
        #expect(model.plan.workspaces.created == 1)
        // Later runs allocate only what leaves the run (the outputs); everything else is reused.
        let laterAllocations = afterSix.allocated - afterFirst.allocated
        #expect(laterAllocations <= 5 * model.outputs.count)
        #expect(afterSix.reused - afterFirst.reused >= 5 * 4)
    }

    @Test("concurrent runs each get a workspace of their own and the same answers")
    func concurrentRuns() throws {
        let (model, fixture) = try Self.load()
        let expected = try model.run(fixture.inputs)
        let failures = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<25 {
                let result = try? model.run(fixture.inputs)
                if result != expected { failures.withLock { $0 += 1 } }
            }
        }
        #expect(failures.withLock { $0 } == 0)
        #expect(model.plan.workspaces.created <= 8)
    }

    @Test("a different batch size still gives the right rows")
    func changingBatchSize() throws {
        let (model, fixture) = try Self.load()
        let all = try #require(fixture.inputs["X"]?.floats)
        let width = all.count / 20
        let full = try model.run(fixture.inputs)
        let few = try model.run(["X": Tensor(shape: [3, width], floats: Array(all[0..<(3 * width)]))])
        let again = try model.run(fixture.inputs)
        #expect(again == full)
        let expectedRows = try #require(full["probabilities"]?.floats).prefix(3 * 10)
        #expect(try #require(few["probabilities"]?.floats) == Array(expectedRows))
    }
}
