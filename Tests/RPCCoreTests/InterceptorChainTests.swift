import RPCCore
import Synchronization
import Testing

/// Writes nothing: the methods under test are unary.
private struct NoSink: ResponseStreamSink {
    func write(_ message: [UInt8]) async throws {}
}

/// What the interceptors under test saw, in order.
private final class EventLog: Sendable {
    private let events = Mutex<[String]>([])
    func add(_ event: String) { events.withLock { $0.append(event) } }
    var all: [String] { events.withLock { $0 } }
    func clear() { events.withLock { $0 = [] } }
}

/// Records what it sees: `state>` on the way in, `<name` on the way out (or `<name!` on an error).
private final class Recorder: ServerInterceptor {
    let name: String
    let events: EventLog
    let prepared = EventLog()
    let skipping: Set<String>

    init(_ name: String, into events: EventLog, skipping: Set<String> = []) {
        self.name = name
        self.events = events
        self.skipping = skipping
    }

    func prepare(for method: MethodHandler) -> String? {
        prepared.add(method.path)
        return skipping.contains(method.path) ? nil : "\(name)@\(method.path)"
    }

    func intercept(
        _ request: [UInt8], context: ServerContext, stream: any ResponseStreamSink, state: String, next: MethodHandler.Run
    ) async throws -> [UInt8]? {
        events.add("\(state)>")
        do {
            let reply = try await next(request, context, stream)
            events.add("<\(name)")
            return reply
        } catch {
            events.add("<\(name)!")
            throw error
        }
    }
}

/// Answers `[0]` requests itself, without running the rest of the chain.
private struct ShortCircuit: ServerInterceptor {
    func intercept(
        _ request: [UInt8], context: ServerContext, stream: any ResponseStreamSink, state: Void, next: MethodHandler.Run
    ) async throws -> [UInt8]? {
        if request == [0] { throw RPCError(.permissionDenied, "refused") }
        return try await next(request, context, stream)
    }
}

/// A unary method that fails for `[9]`, and a streaming one; counts the calls it handles.
private final class Methods: RPCService {
    let handled = Atomic<Int>(0)
    var methods: [MethodHandler] {
        [
            MethodHandler(path: "/t.S/A", kind: .unary) { [self] request, _, _ in
                handled.add(1, ordering: .relaxed)
                if request == [9] { throw RPCError(.notFound, "nine") }
                return request
            },
            MethodHandler(path: "/t.S/B", kind: .serverStreaming) { _, _, _ in nil },
        ]
    }
}

@Suite("interceptor chain")
struct InterceptorChainTests {
    private func context(_ path: String) -> ServerContext {
        ServerContext(method: path, metadata: [:], deadline: nil, peer: "test")
    }

    @Test func theFirstInterceptorIsOutermostAndSeesTheOutcome() async throws {
        let events = EventLog()
        let service = Methods()
        let chain = InterceptorChain([Recorder("outer", into: events), Recorder("inner", into: events)])
        let methods = chain.apply(to: [service]).flatMap(\.methods)
        #expect(methods.map(\.path) == ["/t.S/A", "/t.S/B"])
        #expect(methods.map(\.kind) == [.unary, .serverStreaming])

        #expect(try await methods[0].run([1, 2], context("/t.S/A"), NoSink()) == [1, 2])
        #expect(events.all == ["outer@/t.S/A>", "inner@/t.S/A>", "<inner", "<outer"])

        events.clear()
        await #expect(throws: RPCError(.notFound, "nine")) { try await methods[0].run([9], context("/t.S/A"), NoSink()) }
        #expect(events.all == ["outer@/t.S/A>", "inner@/t.S/A>", "<inner!", "<outer!"])
    }

    @Test func perMethodStateIsMadeOnceAtCompositionNotPerCall() async throws {
        let events = EventLog()
        let recorder = Recorder("r", into: events)
        let method = InterceptorChain([recorder]).apply(to: Methods().methods[0])
        #expect(recorder.prepared.all == ["/t.S/A"])
        for _ in 0..<3 { _ = try await method.run([1], context("/t.S/A"), NoSink()) }
        #expect(recorder.prepared.all == ["/t.S/A"])
        #expect(events.all.count == 6)
    }

    @Test func anInterceptorCanLeaveAMethodAlone() async throws {
        let events = EventLog()
        let chain = InterceptorChain([Recorder("r", into: events, skipping: ["/t.S/B"])])
        let methods = chain.apply(to: [Methods()]).flatMap(\.methods)
        #expect(try await methods[1].run([], context("/t.S/B"), NoSink()) == nil)
        #expect(events.all.isEmpty)
        _ = try await methods[0].run([], context("/t.S/A"), NoSink())
        #expect(events.all == ["r@/t.S/A>", "<r"])
    }

    @Test func anInterceptorCanRefuseACallBeforeTheHandlerRuns() async throws {
        let events = EventLog()
        let service = Methods()
        let chain = InterceptorChain([Recorder("log", into: events), ShortCircuit()])
        let method = chain.apply(to: service.methods[0])
        await #expect(throws: RPCError(.permissionDenied, "refused")) { try await method.run([0], context("/t.S/A"), NoSink()) }
        #expect(service.handled.load(ordering: .relaxed) == 0)
        #expect(events.all == ["log@/t.S/A>", "<log!"], "outer interceptors see the refusal")
        #expect(try await method.run([3], context("/t.S/A"), NoSink()) == [3])
        #expect(service.handled.load(ordering: .relaxed) == 1)
    }

    @Test func noInterceptorsLeaveTheServicesAsTheyAre() {
        let services: [any RPCService] = [Methods()]
        let applied = InterceptorChain([]).apply(to: services)
        #expect(applied.count == 1 && applied[0] is Methods)
    }
}
