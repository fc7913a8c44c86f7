import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// Errors of the model file server.
public enum ModelServerError: LocalizedError, Equatable {
    case noFiles
    case notAFile(String)
    case duplicateName(String, String, String)
    case bind(host: String, port: Int, detail: String)
    case badIdleTimeout(Double)

    public var errorDescription: String? {
        switch self {
        case .noFiles: return "no files to serve: name one or more model files."
        case .notAFile(let path): return "\(path): not a readable regular file. Check the path."
        case .duplicateName(let name, let a, let b):
            return "\(a) and \(b) would both be served as /\(name); serve them from separate servers or rename one."
        case .badIdleTimeout(let value):
            return "idle timeout \(value) s: it must be 0 (never) or a positive number of seconds."
        case .bind(let host, let port, let detail):
            return "cannot listen on \(host):\(port): \(detail). Pick another --port or stop whatever uses it."
        }
    }
}

/// An HTTP/1.1 server for model files: GET and HEAD with single byte ranges, CORS for browser
/// pages, each file at `/<basename>`. Bodies go out as file regions (sendfile), so any file size
/// is served without reading it into memory.
public final class ModelServer: @unchecked Sendable {
    /// The served files by URL path (`/model.gguf` → absolute path).
    public let routes: [String: String]
    public let host: String
    private let requestedPort: Int
    private let group: MultiThreadedEventLoopGroup
    private var channel: Channel?
    private let log: (@Sendable (String) -> Void)?
    /// Seconds a connection may sit with no request arriving and no response being sent before
    /// it is closed (0: never).
    public let idleTimeout: Double

    public static let defaultIdleTimeout = 30.0

    /// - Parameters:
    ///   - port: 0 picks a free port (read it back from `port` after `start`).
    ///   - idleTimeout: seconds an idle or half-open connection is kept (0: for ever).
    ///   - log: called once per request with a one-line summary.
    public init(files: [String], host: String = "127.0.0.1", port: Int = 8080, idleTimeout: Double = ModelServer.defaultIdleTimeout,
                log: (@Sendable (String) -> Void)? = nil) throws {
        guard !files.isEmpty else { throw ModelServerError.noFiles }
        guard idleTimeout >= 0, idleTimeout.isFinite else { throw ModelServerError.badIdleTimeout(idleTimeout) }
        var routes: [String: String] = [:]
        for file in files {
            let absolute = URL(fileURLWithPath: file).standardizedFileURL.path
            // Regular files only: opening a FIFO or a device for a request could block the event loop.
            let type = (try? FileManager.default.attributesOfItem(atPath: absolute))?[.type] as? FileAttributeType
            guard type == .typeRegular, FileManager.default.isReadableFile(atPath: absolute) else { throw ModelServerError.notAFile(file) }
            let name = (absolute as NSString).lastPathComponent
            if let existing = routes["/" + name] { throw ModelServerError.duplicateName(name, existing, absolute) }
            routes["/" + name] = absolute
        }
        self.routes = routes
        self.host = host
        self.requestedPort = port
        self.log = log
        self.idleTimeout = idleTimeout
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: max(2, min(8, System.coreCount)))
    }

    deinit { try? group.syncShutdownGracefully() }

    /// The port the server listens on (after `start`).
    public private(set) var port: Int = 0

    /// Binds and starts serving; returns the bound port.
    @discardableResult
    public func start() throws -> Int {
        let routes = self.routes
        let log = self.log
        let idle: TimeAmount? = idleTimeout > 0 ? .nanoseconds(Int64(idleTimeout * 1e9)) : nil
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                // The read-idle event reaches FileRequestHandler, which closes the connection
                // unless a response is still going out.
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let idle { try pipeline.addHandler(IdleStateHandler(readTimeout: idle)) }
                    try pipeline.configureHTTPServerPipeline(withErrorHandling: true)
                    try pipeline.addHandler(FileRequestHandler(routes: routes, log: log))
                }
            }
            .childChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.maxMessagesPerRead, value: 1)
        do {
            let channel = try bootstrap.bind(host: host, port: requestedPort).wait()
            self.channel = channel
            self.port = channel.localAddress?.port ?? requestedPort
            return port
        } catch {
            throw ModelServerError.bind(host: host, port: requestedPort, detail: "\(error)")
        }
    }

    /// The base URL of the server, e.g. `http://127.0.0.1:8080`.
    public var baseURL: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "http://\(shownHost):\(port)"
    }

    /// Blocks until the server is stopped.
    public func wait() throws { try channel?.closeFuture.wait() }

    /// Stops listening and closes open connections.
    public func stop() {
        try? channel?.close().wait()
        channel = nil
    }
}
