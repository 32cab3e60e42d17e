import RPCCore
import RPCTransport

extension EtcdClient {
    /// Watches every key starting with `prefix` from `fromRevision` (0: from now): each element
    /// holds the events of one etcd reply, in revision order.
    ///
    /// The stream throws when the watch ends for any reason: the connection was lost, the
    /// revision was compacted (`compacted`, with the oldest revision kept) or etcd cancelled
    /// the watch. The caller re-lists and watches again from the revision of the list.
    public func watch(prefix: String, fromRevision: Int64) -> AsyncThrowingStream<EtcdWatchBatch, any Error> {
        let (stream, continuation) = AsyncThrowingStream<EtcdWatchBatch, any Error>.makeStream()
        let task = Task {
            do throws(EtcdError) {
                try await self.runWatch(prefix: prefix, fromRevision: fromRevision) { continuation.yield($0) }
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    private func runWatch(
        prefix: String, fromRevision: Int64, yield: (EtcdWatchBatch) -> Void
    ) async throws(EtcdError) {
        let key = Array(prefix.utf8)
        let create = WatchRequest.create(key: key, rangeEnd: prefixRangeEnd(key), startRevision: fromRevision)
        let path = EtcdMethods.watch
        let (call, endpoint) = try await perform(path, idempotent: true) {
            (client, metadata, _) async throws(RPCError) -> (BidirectionalCall, String) in
            var metadata = metadata
            // etcd then cancels the watch when its member loses the leader, instead of going quiet.
            metadata.add("hasleader", "true")
            let call = try await client.bidirectionalStream(path, metadata: metadata)
            call.send(create.wireBytes())
            return (call, "\(client.host):\(client.port)")
        }
        let watched = "the etcd watch of prefix '\(prefix)' from revision \(fromRevision) on \(endpoint)"
        do {
            for try await bytes in call.responses {
                let response = try WatchResponse(wireBytes: bytes)
                if response.compactRevision > 0 {
                    throw EtcdError(
                        .compacted(revision: response.compactRevision),
                        "\(watched) ended: revisions before \(response.compactRevision) were compacted; list again")
                }
                if response.canceled {
                    let reason = response.cancelReason.isEmpty ? "no reason given" : response.cancelReason
                    throw EtcdError(.other(.cancelled), "\(watched) was cancelled by etcd: \(reason)")
                }
                if !response.events.isEmpty {
                    yield(EtcdWatchBatch(revision: response.header.revision, events: response.events))
                }
            }
        } catch let error as EtcdError {
            call.cancel()
            throw error
        } catch let error as RPCError {
            call.cancel()
            if error.code == .cancelled, Task.isCancelled {
                throw EtcdError(.other(.cancelled), "\(watched) was cancelled by the caller")
            }
            throw EtcdError(.unavailable, "\(watched) was lost: \(error.message)")
        } catch {
            call.cancel()
            throw EtcdError(.unavailable, "\(watched) was lost: \(error)")
        }
        throw EtcdError(.unavailable, "\(watched) ended: etcd closed the stream")
    }
}
