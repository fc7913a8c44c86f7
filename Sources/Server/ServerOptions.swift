/// How the HTTP side behaves (the engine has its own limits: slots, context, queue).
public struct ServerOptions: Sendable {
    public var host: String
    /// 0 picks a free port (the ready callback says which).
    public var port: Int
    /// When set, every endpoint except /health needs `Authorization: Bearer <key>`.
    public var apiKey: String?
    /// The model id /v1/models lists and answers carry.
    public var modelName: String
    /// Larger request bodies are refused with 413 before they are parsed.
    public var maxBodyBytes: Int
    /// Deeper JSON is refused with 400 (the parser is recursive).
    public var maxJSONDepth: Int
    /// On SIGTERM/SIGINT running answers may continue this long before they are cut off.
    public var shutdownGraceSeconds: Double
    /// A connection that sends nothing for this long while no answer is being written to it is
    /// closed: an idle keep-alive connection, or one that stopped mid-headers or mid-body (a
    /// half-open client would otherwise hold its socket forever). 0: never.
    public var idleTimeoutSeconds: Double
    /// Connections open at once; one more is answered 503 and closed (ConnectionLimit.swift).
    /// 0: no limit. The default stays well under the usual 1024 file descriptors of a process.
    public var maxConnections: Int

    public static let defaultMaxBodyBytes = 4 << 20
    public static let defaultMaxConnections = 512
    public static let defaultMaxJSONDepth = 64
    public static let defaultIdleTimeoutSeconds = 60.0

    public init(host: String = "127.0.0.1", port: Int = 8000, apiKey: String? = nil, modelName: String,
                maxBodyBytes: Int = defaultMaxBodyBytes, maxJSONDepth: Int = defaultMaxJSONDepth,
                shutdownGraceSeconds: Double = 10, idleTimeoutSeconds: Double = defaultIdleTimeoutSeconds,
                maxConnections: Int = defaultMaxConnections) {
        self.host = host; self.port = port; self.apiKey = apiKey; self.modelName = modelName
        self.maxBodyBytes = maxBodyBytes; self.maxJSONDepth = maxJSONDepth; self.shutdownGraceSeconds = shutdownGraceSeconds
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.maxConnections = maxConnections
    }
}
