import Foundation
import NIOCore
import NIOHTTP1

/// Answers one connection's requests: OPTIONS (CORS preflight), GET and HEAD of the routed files
/// with single byte ranges; anything else is 404 or 405.
final class FileRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let routes: [String: String]
    private let log: (@Sendable (String) -> Void)?
    private var request: HTTPRequestHead?
    /// Responses whose last write has not completed: while one is going out (a large body to a
    /// slow reader), the connection is not idle even though no request arrives.
    private var responsesInFlight = 0

    init(routes: [String: String], log: (@Sendable (String) -> Void)?) {
        self.routes = routes
        self.log = log
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): request = head
        case .body: break
        case .end:
            guard let head = request else { return }
            request = nil
            respond(to: head, context: context)
        }
    }

    /// No bytes arrived for the idle timeout: an idle keep-alive or a half-open connection (a
    /// request head begun and never finished) is closed; one still sending a response is kept.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case IdleStateHandler.IdleStateEvent.read = event {
            if responsesInFlight == 0 { context.close(promise: nil) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Counts a response out until its final write completes.
    private func track(_ done: EventLoopFuture<Void>) {
        responsesInFlight += 1
        done.whenComplete { [self] _ in responsesInFlight -= 1 }
    }

    // MARK: - Responses

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = Self.decodedPath(head.uri)
        switch head.method {
        case .OPTIONS:
            var headers = Self.corsHeaders()
            headers.add(name: "Access-Control-Allow-Methods", value: "GET, HEAD, OPTIONS")
            let asked = head.headers["Access-Control-Request-Headers"].joined(separator: ", ")
            headers.add(name: "Access-Control-Allow-Headers", value: asked.isEmpty ? "Range" : asked)
            headers.add(name: "Access-Control-Max-Age", value: "86400")
            headers.add(name: "Content-Length", value: "0")
            sendSimple(head, status: .noContent, headers: headers, body: nil, context: context)
        case .GET, .HEAD:
            if path == "/" { return sendIndex(head, context: context) }
            guard let file = routes[path] else {
                return sendSimple(head, status: .notFound, headers: Self.corsHeaders(),
                                  body: "not found: \(path)\nserved: \(routes.keys.sorted().joined(separator: " "))\n", context: context)
            }
            sendFile(file, head: head, context: context)
        default:
            var headers = Self.corsHeaders()
            headers.add(name: "Allow", value: "GET, HEAD, OPTIONS")
            sendSimple(head, status: .methodNotAllowed, headers: headers, body: "method not allowed\n", context: context)
        }
    }

    private func sendFile(_ path: String, head: HTTPRequestHead, context: ChannelHandlerContext) {
        let handle: NIOFileHandle
        let size: UInt64
        let modified: (seconds: Int, nanoseconds: Int)
        do {
            // NIOFileHandle is the handle FileRegion (sendfile) takes; `_deprecatedPath` is its
            // non-warning spelling in current swift-nio.
            handle = try NIOFileHandle(_deprecatedPath: path)
            let info = try handle.withUnsafeFileDescriptor { fd -> stat in
                var info = stat()
                guard fstat(fd, &info) == 0 else { throw IOError(errnoCode: errno, reason: "fstat") }
                return info
            }
            size = UInt64(info.st_size)
            modified = (Int(info.st_mtim.tv_sec), Int(info.st_mtim.tv_nsec))
        } catch {
            return sendSimple(head, status: .internalServerError, headers: Self.corsHeaders(),
                              body: "cannot read the file: \(error)\n", context: context)
        }
        var headers = Self.corsHeaders()
        headers.add(name: "Accept-Ranges", value: "bytes")
        headers.add(name: "Content-Type", value: "application/octet-stream")
        // Validators, so a client reading by ranges can tell the file was replaced meanwhile.
        headers.add(name: "ETag", value: "\"\(String(size, radix: 16))-\(String(modified.seconds, radix: 16))-\(String(modified.nanoseconds, radix: 16))\"")
        headers.add(name: "Last-Modified", value: Self.httpDate(seconds: modified.seconds))
        let status: HTTPResponseStatus
        let first: UInt64, count: UInt64
        switch RangeRequest(header: head.headers.first(name: "Range"), size: size) {
        case .whole:
            status = .ok
            (first, count) = (0, size)
        case .partial(let a, let b):
            status = .partialContent
            (first, count) = (a, b - a + 1)
            headers.add(name: "Content-Range", value: "bytes \(a)-\(b)/\(size)")
        case .unsatisfiable:
            try? handle.close()
            headers.add(name: "Content-Range", value: "bytes */\(size)")
            return sendSimple(head, status: .rangeNotSatisfiable, headers: headers, body: "range not satisfiable\n", context: context)
        }
        headers.add(name: "Content-Length", value: String(count))
        logLine(head, status, count)
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if head.method == .GET && count > 0 {
            let region = FileRegion(fileHandle: handle, readerIndex: Int(first), endIndex: Int(first + count))
            context.write(wrapOutboundOut(.body(.fileRegion(region))), promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        track(done)
        done.whenComplete { _ in try? handle.close() }
        if !keepAlive { done.whenComplete { _ in context.close(promise: nil) } }
    }

    private func sendIndex(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        var body = "gptoss-gl serve: files\n"
        for (route, file) in routes.sorted(by: { $0.key < $1.key }) {
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.uint64Value ?? 0
            body += "\(route)\t\(size) bytes\n"
        }
        var headers = Self.corsHeaders()
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        sendSimple(head, status: .ok, headers: headers, body: body, context: context)
    }

    private func sendSimple(_ head: HTTPRequestHead, status: HTTPResponseStatus, headers: HTTPHeaders, body: String?,
                            context: ChannelHandlerContext) {
        var headers = headers
        let bytes = body.map { Array($0.utf8) } ?? []
        if !headers.contains(name: "Content-Length") { headers.add(name: "Content-Length", value: String(bytes.count)) }
        if headers["Content-Type"].isEmpty && !bytes.isEmpty { headers.add(name: "Content-Type", value: "text/plain; charset=utf-8") }
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        logLine(head, status, UInt64(bytes.count))
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if head.method != .HEAD && !bytes.isEmpty {
            var buffer = context.channel.allocator.buffer(capacity: bytes.count)
            buffer.writeBytes(bytes)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        track(done)
        if !keepAlive { done.whenComplete { _ in context.close(promise: nil) } }
    }

    private func logLine(_ head: HTTPRequestHead, _ status: HTTPResponseStatus, _ bytes: UInt64) {
        guard let log else { return }
        let range = head.headers.first(name: "Range").map { " \($0)" } ?? ""
        log("\(head.method.rawValue) \(head.uri)\(range) → \(status.code) \(head.method == .HEAD ? 0 : bytes) bytes")
    }

    // MARK: - Helpers

    /// Headers that let a page on any origin read the file and the range headers.
    static func corsHeaders() -> HTTPHeaders {
        HTTPHeaders([
            ("Access-Control-Allow-Origin", "*"),
            ("Access-Control-Expose-Headers", "Content-Range, Accept-Ranges, Content-Length, ETag, Last-Modified"),
        ])
    }

    /// An IMF-fixdate (`Mon, 01 Jan 2024 00:00:00 GMT`), the form HTTP dates take.
    static func httpDate(seconds: Int) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }

    /// The path part of a request target, percent-decoded (query and fragment dropped).
    static func decodedPath(_ uri: String) -> String {
        let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? uri
        return path.removingPercentEncoding ?? path
    }
}
