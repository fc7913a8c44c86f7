import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import XCTest
@testable import GGUF
import ModelServer
import LoopbackTestSupport

/// HTTP options for tests: short delays and timeouts so a broken case fails in seconds.
func fastHTTPOptions(rangesInFlight: Int = 4, chunkSize: Int = 4096, maxRetries: Int = 4, stallTimeout: Double = 2,
                     lowSpeedLimit: Int = 0, lowSpeedTime: Double = 1, maxRedirects: Int = 10,
                     progress: (@Sendable (HTTPReadReport) -> Void)? = nil) -> HTTPOptions {
    HTTPOptions(rangesInFlight: rangesInFlight, chunkSize: chunkSize, maxRetries: maxRetries, retryBaseDelay: 0.01,
                retryMaxDelay: 0.05, connectTimeout: 2, stallTimeout: stallTimeout, probeLength: 1024,
                lowSpeedLimit: lowSpeedLimit, lowSpeedTime: lowSpeedTime, maxRedirects: maxRedirects, progress: progress)
}

/// One raw HTTP/1.1 exchange over a fresh socket (Connection: close), for checking exact
/// statuses and headers without any client library's opinions.
struct RawHTTPResponse {
    var status: Int
    var headers: [String: String]  // lower-cased names
    var body: [UInt8]
}

func rawHTTP(port: Int, method: String, path: String, headers: [String: String] = [:]) throws -> RawHTTPResponse {
    let socket = try LoopbackSocket(port: port)
    var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    for (name, value) in headers { request += "\(name): \(value)\r\n" }
    request += "\r\n"
    socket.send(request)
    let data = socket.readToEnd(timeoutSeconds: 5)
    guard let split = data.firstRange(of: Array("\r\n\r\n".utf8)) else { throw GGUFError.io(source: "test", detail: "no header end") }
    let lines = String(decoding: data[..<split.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
    let status = Int(lines[0].split(separator: " ")[1]) ?? 0
    var parsed: [String: String] = [:]
    for line in lines.dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        parsed[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    return RawHTTPResponse(status: status, headers: parsed, body: Array(data[split.upperBound...]))
}

/// A loopback port that was free a moment ago (for servers we cannot ask for port 0).
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard ok else { throw GGUFError.io(source: "test", detail: "cannot find a free port") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A misbehaving HTTP server for fault tests, serving `content` at any path.
final class FaultServer: @unchecked Sendable {
    enum Fault: Sendable {
        /// Behaves: 206 for ranges.
        case none
        /// Range replies longer than `threshold` send half the range, then the connection drops.
        case dropMidRange(threshold: Int, times: Int)
        /// Range replies longer than `threshold` send half the range, then nothing (the connection stays open).
        case stallMidRange(threshold: Int, times: Int)
        /// Ignores Range and answers 200 with the whole file.
        case ignoreRanges
        /// The first `times` requests get 503.
        case unavailable(times: Int)
        /// Redirects every request on /start to /file (the way model hosts hand off to CDNs).
        case redirect
        /// Range replies carry one byte more than asked.
        case tooLong
        /// Once the test calls `swapFile()`, the file is replaced by `replacement`; `validators`
        /// says what the replies tell about the version.
        case swap(replacement: [UInt8], validators: Validators)
        /// /start redirects to /loop and /loop back to /start, for ever.
        case redirectLoop
        /// Every request is redirected to `location` (any URL, any scheme).
        case redirectTo(location: String)
        /// Range replies send the head at once, then `bytes` bytes every `interval` seconds.
        case trickle(bytes: Int, interval: Double)
    }

    enum Validators: Sendable {
        /// An ETag naming the version ("v1", then "v2").
        case etag
        /// A Last-Modified date that moves on with the replacement.
        case lastModified
        /// Neither: only the size can tell (the replacement must differ in size for this).
        case none
    }

    let content: [UInt8]
    let fault: Fault
    private let lock = NSLock()
    private var faultsLeft: Int
    private(set) var requests = 0
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private var channel: Channel?
    var port: Int { channel?.localAddress?.port ?? 0 }
    var url: String { "http://127.0.0.1:\(port)/start" }

    init(content: [UInt8], fault: Fault) throws {
        self.content = content
        self.fault = fault
        switch fault {
        case .dropMidRange(_, let times), .stallMidRange(_, let times), .unavailable(let times): faultsLeft = times
        default: faultsLeft = 0
        }
        channel = try ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap { channel.pipeline.addHandler(Handler(server: self)) }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
    }

    deinit {
        try? channel?.close().wait()
        try? group.syncShutdownGracefully()
    }

    fileprivate func countRequest() { lock.withLock { requests += 1 } }

    private var swapped = false
    /// Replaces the file (with `.swap`): later replies serve the replacement.
    func swapFile() { lock.withLock { swapped = true } }
    fileprivate var isSwapped: Bool { lock.withLock { swapped } }

    /// Takes one fault from the budget; true if this request should misbehave.
    fileprivate func takeFault() -> Bool {
        lock.withLock {
            guard faultsLeft > 0 else { return false }
            faultsLeft -= 1
            return true
        }
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let server: FaultServer
        var head: HTTPRequestHead?
        init(server: FaultServer) { self.server = server }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let h): head = h
            case .body: break
            case .end: if let head { respond(head, context) }
            }
        }

        func send(_ context: ChannelHandlerContext, _ status: HTTPResponseStatus, _ headers: [(String, String)], _ body: ArraySlice<UInt8>,
                  declaredLength: Int? = nil, closeAfter: Bool = false) {
            var h = HTTPHeaders(headers)
            h.add(name: "Content-Length", value: String(declaredLength ?? body.count))
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: h))), promise: nil)
            if !body.isEmpty {
                var buffer = context.channel.allocator.buffer(capacity: body.count)
                buffer.writeBytes(body)
                context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            }
            if closeAfter {
                context.flush()
                context.close(promise: nil)
                return
            }
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }

        func respond(_ head: HTTPRequestHead, _ context: ChannelHandlerContext) {
            var content = server.content
            server.countRequest()
            var versionHeaders: [(String, String)] = []
            if case .swap(let replacement, let validators) = server.fault {
                let swapped = server.isSwapped
                if swapped { content = replacement }
                switch validators {
                case .etag: versionHeaders = [("ETag", swapped ? "\"v2\"" : "\"v1\"")]
                case .lastModified: versionHeaders = [("Last-Modified", swapped ? "Tue, 02 Jan 2024 00:00:00 GMT" : "Mon, 01 Jan 2024 00:00:00 GMT")]
                case .none: break
                }
            }
            let size = UInt64(content.count)
            if case .redirectTo(let location) = server.fault {
                return send(context, .found, [("Location", location)], [])
            }
            if case .redirectLoop = server.fault {
                return send(context, .found, [("Location", head.uri == "/start" ? "/loop" : "/start")], [])
            }
            if case .redirect = server.fault, head.uri == "/start" {
                return send(context, .found, [("Location", "/file")], [])
            }
            if case .unavailable = server.fault, server.takeFault() {
                return send(context, .serviceUnavailable, [], ArraySlice("try later".utf8))
            }
            if case .ignoreRanges = server.fault {
                return send(context, .ok, [], content[...])
            }
            guard case .partial(let first, let last) = RangeRequest(header: head.headers.first(name: "Range"), size: size) else {
                return send(context, .ok, [], content[...])
            }
            let slice = content[Int(first)...Int(last)]
            let range = [("Content-Range", "bytes \(first)-\(last)/\(size)"), ("Accept-Ranges", "bytes")] + versionHeaders
            if case .trickle(let bytes, let interval) = server.fault {
                var h = HTTPHeaders(range)
                h.add(name: "Content-Length", value: String(slice.count))
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .partialContent, headers: h))), promise: nil)
                return trickle(Array(slice), every: interval, bytes: bytes, context)
            }
            if case .dropMidRange(let threshold, _) = server.fault, slice.count > threshold, server.takeFault() {
                let half = slice.prefix(slice.count / 2)
                return send(context, .partialContent, range, half, declaredLength: slice.count, closeAfter: true)
            }
            if case .stallMidRange(let threshold, _) = server.fault, slice.count > threshold, server.takeFault() {
                var h = HTTPHeaders(range)
                h.add(name: "Content-Length", value: String(slice.count))
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .partialContent, headers: h))), promise: nil)
                var buffer = context.channel.allocator.buffer(capacity: slice.count / 2)
                buffer.writeBytes(slice.prefix(slice.count / 2))
                context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
                return
            }
            if case .tooLong = server.fault, Int(last) + 1 < content.count {
                let longer = content[Int(first)...Int(last) + 1]
                return send(context, .partialContent, range, longer)
            }
            send(context, .partialContent, range, slice)
        }

        /// Sends `rest` a few bytes at a time until it is gone or the client hangs up.
        func trickle(_ rest: [UInt8], every interval: Double, bytes: Int, _ context: ChannelHandlerContext) {
            guard context.channel.isActive else { return }
            guard !rest.isEmpty else { return context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil) }
            var buffer = context.channel.allocator.buffer(capacity: bytes)
            buffer.writeBytes(rest.prefix(bytes))
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            let remaining = Array(rest.dropFirst(bytes))
            context.eventLoop.scheduleTask(in: .milliseconds(Int64(interval * 1000))) {
                self.trickle(remaining, every: interval, bytes: bytes, context)
            }
        }
    }
}
