import Foundation
import Hummingbird
import NIOCore
import NIOHTTPTypes

// A server must not let its clients take every file descriptor: without a cap, connections
// opened faster than the idle timeout closes them (`--idle-timeout`) pile up until accept fails
// for everyone (the soak's open question, docs/server.md). Past `--max-connections` a new
// connection is answered once, with 503 in OpenAI's error shape and `Connection: close`, and
// closed: a client sees why, not a reset.

/// The open connections of one server, shared by every connection's `ConnectionLimit`.
final class ConnectionCount: @unchecked Sendable { // state under `lock`
    /// At most this many open at once; 0: no limit.
    let limit: Int
    private let lock = NSLock()
    private var open = 0
    private var refused = 0

    init(limit: Int) {
        self.limit = max(0, limit)
    }

    /// Takes a place for a new connection, or counts it refused.
    func enter() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard limit == 0 || open < limit else {
            refused += 1
            return false
        }
        open += 1
        return true
    }

    func leave() {
        lock.lock()
        open -= 1
        lock.unlock()
    }

    /// Open connections now and refused ones so far (for /metrics).
    var snapshot: (open: Int, refused: Int) {
        lock.lock()
        defer { lock.unlock() }
        return (open, refused)
    }
}

/// One per connection, after the HTTP codec: lets the connection through when the count has a
/// place for it; otherwise answers its first request with 503 and closes it.
final class ConnectionLimit: ChannelDuplexHandler, RemovableChannelHandler, @unchecked Sendable { // event-loop confined
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let count: ConnectionCount
    private var admitted = false
    private var answered = false

    init(count: ConnectionCount) {
        self.count = count
    }

    func channelActive(context: ChannelHandlerContext) {
        admitted = count.enter()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if admitted {
            count.leave()
            admitted = false
        }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !admitted else {
            context.fireChannelRead(data)
            return
        }
        // Refused: nothing goes on to the server; the first request head gets the answer.
        guard case .head = unwrapInboundIn(data), !answered else { return }
        answered = true
        let refusal = Self.refusal(limit: count.limit)
        let body = refusal.json.serialized + "\n"
        var response = HTTPResponse(status: refusal.status)
        response.headerFields[.contentType] = "application/json"
        response.headerFields[.contentLength] = String(body.utf8.count)
        response.headerFields[.connection] = "close"
        response.headerFields[.retryAfter] = "1"
        context.write(wrapOutboundOut(.head(response)), promise: nil)
        context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(string: body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }

    /// The 503, in the error shape of the API's other refusals.
    static func refusal(limit: Int) -> APIError {
        APIError(status: .serviceUnavailable,
                 message: "the server has \(limit) connections open, its limit (--max-connections); retry later",
                 type: "server_error", code: "too_many_connections")
    }
}
