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

    public static let defaultMaxBodyBytes = 4 << 20
    public static let defaultMaxJSONDepth = 64

    public init(host: String = "127.0.0.1", port: Int = 8000, apiKey: String? = nil, modelName: String,
                maxBodyBytes: Int = defaultMaxBodyBytes, maxJSONDepth: Int = defaultMaxJSONDepth,
                shutdownGraceSeconds: Double = 10) {
        self.host = host; self.port = port; self.apiKey = apiKey; self.modelName = modelName
        self.maxBodyBytes = maxBodyBytes; self.maxJSONDepth = maxJSONDepth; self.shutdownGraceSeconds = shutdownGraceSeconds
    }
}
