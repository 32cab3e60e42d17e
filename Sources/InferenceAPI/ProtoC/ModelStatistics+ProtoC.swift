internal import CProtobufC
internal import ProtoC
import ProtoCMessage
import RPCCore

extension ModelStatisticsRequest: WireMessage {
    public init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "inference.ModelStatisticsRequest", unpack: inference__model_statistics_request__unpack
        ) { ModelStatisticsRequest(name: ProtoCCodec.string($0.name), version: ProtoCCodec.string($0.version)) }
    }

    public func wireBytes() -> [UInt8] {
        CArena.with { arena in
            var message = Inference__ModelStatisticsRequest()
            inference__model_statistics_request__init(&message)
            message.name = arena.string(name)
            message.version = arena.string(version)
            return ProtoCMessage.pack(
                &message, size: inference__model_statistics_request__get_packed_size,
                pack: inference__model_statistics_request__pack)
        }
    }
}

extension ModelStatisticsResponse: WireMessage {
    public init(wireBytes bytes: UnsafeRawBufferPointer) throws(RPCError) {
        self = try ProtoCMessage.unpack(
            bytes, messageName: "inference.ModelStatisticsResponse", unpack: inference__model_statistics_response__unpack
        ) { response in
            var models: [ModelStatistics] = []
            for index in 0..<response.n_model_stats {
                guard let model = response.model_stats[index]?.pointee else { continue }
                models.append(ModelStatistics(model))
            }
            return ModelStatisticsResponse(modelStats: models)
        }
    }

    public func wireBytes() -> [UInt8] {
        CArena.with { arena in
            var message = Inference__ModelStatisticsResponse()
            inference__model_statistics_response__init(&message)
            message.n_model_stats = modelStats.count
            message.model_stats = arena.allocate(UnsafeMutablePointer<Inference__ModelStatistics>?.self, count: modelStats.count)
            for (index, model) in modelStats.enumerated() { message.model_stats[index] = model.cMessage(arena) }
            return ProtoCMessage.pack(
                &message, size: inference__model_statistics_response__get_packed_size,
                pack: inference__model_statistics_response__pack)
        }
    }
}

extension ModelStatistics {
    init(_ model: Inference__ModelStatistics) {
        var stats = InferStatistics()
        if let infer = model.inference_stats?.pointee {
            stats.success = StatisticDuration(infer.success)
            stats.fail = StatisticDuration(infer.fail)
            stats.queue = StatisticDuration(infer.queue)
            stats.computeInput = StatisticDuration(infer.compute_input)
            stats.computeInfer = StatisticDuration(infer.compute_infer)
            stats.computeOutput = StatisticDuration(infer.compute_output)
        }
        var batches: [InferBatchStatistics] = []
        for index in 0..<model.n_batch_stats {
            guard let batch = model.batch_stats[index]?.pointee else { continue }
            batches.append(
                InferBatchStatistics(batchSize: batch.batch_size, computeInfer: StatisticDuration(batch.compute_infer)))
        }
        self.init(
            name: ProtoCCodec.string(model.name), version: ProtoCCodec.string(model.version),
            lastInference: model.last_inference, inferenceCount: model.inference_count,
            executionCount: model.execution_count, inferenceStats: stats, batchStats: batches)
    }

    func cMessage(_ arena: CArena) -> UnsafeMutablePointer<Inference__ModelStatistics> {
        let model = arena.allocate(Inference__ModelStatistics.self)
        inference__model_statistics__init(model)
        model.pointee.name = arena.string(name)
        model.pointee.version = arena.string(version)
        model.pointee.last_inference = lastInference
        model.pointee.inference_count = inferenceCount
        model.pointee.execution_count = executionCount
        let infer = arena.allocate(Inference__InferStatistics.self)
        inference__infer_statistics__init(infer)
        infer.pointee.success = inferenceStats.success.cMessage(arena)
        infer.pointee.fail = inferenceStats.fail.cMessage(arena)
        infer.pointee.queue = inferenceStats.queue.cMessage(arena)
        infer.pointee.compute_input = inferenceStats.computeInput.cMessage(arena)
        infer.pointee.compute_infer = inferenceStats.computeInfer.cMessage(arena)
        infer.pointee.compute_output = inferenceStats.computeOutput.cMessage(arena)
        infer.pointee.cache_hit = StatisticDuration().cMessage(arena)
        infer.pointee.cache_miss = StatisticDuration().cMessage(arena)
        model.pointee.inference_stats = infer
        model.pointee.n_batch_stats = batchStats.count
        model.pointee.batch_stats = arena.allocate(
            UnsafeMutablePointer<Inference__InferBatchStatistics>?.self, count: batchStats.count)
        for (index, batch) in batchStats.enumerated() {
            let entry = arena.allocate(Inference__InferBatchStatistics.self)
            inference__infer_batch_statistics__init(entry)
            entry.pointee.batch_size = batch.batchSize
            // Input and output conversion are per request here, not per batch: zero, as Triton
            // reports for a stage it does not time.
            entry.pointee.compute_input = StatisticDuration().cMessage(arena)
            entry.pointee.compute_infer = batch.computeInfer.cMessage(arena)
            entry.pointee.compute_output = StatisticDuration().cMessage(arena)
            model.pointee.batch_stats[index] = entry
        }
        return model
    }
}

extension StatisticDuration {
    init(_ duration: UnsafeMutablePointer<Inference__StatisticDuration>?) {
        self.init(count: duration?.pointee.count ?? 0, nanoseconds: duration?.pointee.ns ?? 0)
    }

    func cMessage(_ arena: CArena) -> UnsafeMutablePointer<Inference__StatisticDuration> {
        let duration = arena.allocate(Inference__StatisticDuration.self)
        inference__statistic_duration__init(duration)
        duration.pointee.count = count
        duration.pointee.ns = nanoseconds
        return duration
    }
}
