import Foundation
import GPTOSS
import Hummingbird
import NIOCore

// A client that goes away must not keep a slot or a queue place. While an answer is written, a
// failed write says so; but a request waiting in the queue, or a non-streamed one being
// generated, writes nothing until it is done, so without this a dropped request kept its place
// and was decoded in full for nobody (found while writing the soak, scripts/soak_server.py:
// requests dropped behind a busy slot stayed queued until each was admitted and decoded).

/// The routes' request context: Hummingbird's basic one plus the client's connection.
public struct ServerRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// The connection's watch (every connection of the server has one in its pipeline).
    func clientWatch() async throws -> ClientWatch {
        try await channel.pipeline.handler(type: ClientWatch.self).get()
    }
}

/// Tells the requests of one connection when the client leaves: it closed or reset the
/// connection, or shut its sending side (a FIN). Hummingbird keeps half-closed connections open
/// to answer them, but HTTP clients do not half-close and then wait for an answer, so a FIN
/// means the client left (nginx treats it so too); the connection is closed then.
/// One per connection, so a keep-alive connection's requests add and remove their callbacks
/// here instead of piling them on the channel's close future.
final class ClientWatch: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable { // state under `lock`
    typealias InboundIn = NIOAny

    private let lock = NSLock()
    private var left = false
    private var callbacks: [Int: @Sendable () -> Void] = [:]
    private var nextID = 0

    func channelInactive(context: ChannelHandlerContext) {
        leave()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            leave()
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Runs `callback` once when the client leaves (at once if it has); the id removes it.
    func onLeave(_ callback: @escaping @Sendable () -> Void) -> Int {
        lock.lock()
        guard !left else {
            lock.unlock()
            callback()
            return -1
        }
        nextID += 1
        callbacks[nextID] = callback
        lock.unlock()
        return nextID
    }

    func remove(_ id: Int) {
        lock.lock()
        callbacks[id] = nil
        lock.unlock()
    }

    private func leave() {
        lock.lock()
        left = true
        let pending = callbacks.values
        callbacks.removeAll()
        lock.unlock()
        for callback in pending { callback() }
    }
}

/// Why an answer stopped: its client left (counted as status 499 in the metrics, nginx's
/// "client closed request"; nobody reads the answer).
struct ClientGone: Error {}

extension AsyncThrowingStream where Element == CompletionEvent, Failure == Error {
    /// These events until the client leaves; then the stream ends with `ClientGone` and the
    /// engine's stream is released, which cancels the sequence, queued or running.
    func endingWhenClientLeaves(_ watch: ClientWatch) -> AsyncThrowingStream<CompletionEvent, Error> {
        let (events, continuation) = AsyncThrowingStream<CompletionEvent, Error>.makeStream()
        let source = self
        let pump = Task {
            do {
                for try await event in source { continuation.yield(event) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        let id = watch.onLeave {
            continuation.finish(throwing: ClientGone())
            pump.cancel()
        }
        // The consumer stopped reading (done, or cancelled): stop pumping, which drops the engine's stream.
        continuation.onTermination = { _ in
            pump.cancel()
            watch.remove(id)
        }
        return events
    }
}
