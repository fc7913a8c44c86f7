import Foundation

/// Settings of `HTTPByteSource`. Defaults suit a model host or CDN; tests shorten the timeouts.
public struct HTTPOptions: Sendable {
    /// Range requests in flight at once when one read spans several chunks.
    public var rangesInFlight: Int
    /// Bytes per range request when a large read is split.
    public var chunkSize: Int
    /// Attempts after the first for one range (dropped connections, 5xx, 429, timeouts).
    public var maxRetries: Int
    /// First retry delay in seconds; doubles on each retry up to `retryMaxDelay`.
    public var retryBaseDelay: Double
    public var retryMaxDelay: Double
    /// Seconds allowed to connect.
    public var connectTimeout: Double
    /// Seconds a transfer may receive nothing before it is abandoned and retried (resuming).
    public var stallTimeout: Double
    /// A transfer that brings fewer than `lowSpeedLimit` bytes/s on average over any
    /// `lowSpeedTime` seconds is abandoned with an error (not retried: a server that trickles
    /// would trickle again). 0 turns the check off. Defaults: 4096 bytes/s over 30 s (a 1 KB/s
    /// trickle fails in 30 s); the executable sets them from GPTOSS_GL_HTTP_LOW_SPEED.
    public var lowSpeedLimit: Int
    public var lowSpeedTime: Double
    /// Redirects followed per request (http and https only) before giving up.
    public var maxRedirects: Int
    /// Length of the first range request (it learns the size and checks Range support); its
    /// bytes are kept, since the header parser reads them next.
    public var probeLength: Int
    /// Called after every completed read, on the reading thread.
    public var progress: (@Sendable (HTTPReadReport) -> Void)?

    public init(rangesInFlight: Int = 4, chunkSize: Int = 16 << 20, maxRetries: Int = 5,
                retryBaseDelay: Double = 0.25, retryMaxDelay: Double = 8, connectTimeout: Double = 20,
                stallTimeout: Double = 30, probeLength: Int = 256 << 10,
                lowSpeedLimit: Int = HTTPOptions.defaultLowSpeed.limit,
                lowSpeedTime: Double = HTTPOptions.defaultLowSpeed.seconds, maxRedirects: Int = 10,
                progress: (@Sendable (HTTPReadReport) -> Void)? = nil) {
        self.rangesInFlight = max(1, rangesInFlight)
        self.chunkSize = max(4096, chunkSize)
        self.maxRetries = max(0, maxRetries)
        self.retryBaseDelay = max(0, retryBaseDelay)
        self.retryMaxDelay = max(retryBaseDelay, retryMaxDelay)
        self.connectTimeout = max(0.1, connectTimeout)
        self.stallTimeout = max(0.05, stallTimeout)
        self.probeLength = max(1, probeLength)
        self.lowSpeedLimit = max(0, lowSpeedLimit)
        self.lowSpeedTime = max(0.05, lowSpeedTime)
        self.maxRedirects = max(0, maxRedirects)
        self.progress = progress
    }

    public static let defaultLowSpeed = (limit: 4096, seconds: 30.0)

    /// Parses `BYTES_PER_S:SECONDS` or `0` (off): the syntax of GPTOSS_GL_HTTP_LOW_SPEED, which
    /// the executable's configuration parses with this (a malformed value is an error there).
    public static func parseLowSpeed(_ text: String) -> (limit: Int, seconds: Double)? {
        if text == "0" { return (0, defaultLowSpeed.seconds) }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let limit = Int(parts[0]), limit >= 0, let seconds = Double(parts[1]), seconds.isFinite, seconds > 0 else {
            return nil
        }
        return (limit, seconds)
    }
}

/// One finished read of an HTTP source, for progress displays and telemetry.
public struct HTTPReadReport: Sendable {
    /// The URL read.
    public let source: String
    /// Offset and length of this read.
    public let offset: UInt64
    public let bytes: UInt64
    /// Wall time of this read in seconds.
    public let seconds: Double
    /// Bytes fetched over the network by this source so far (the probe included).
    public let totalBytesFetched: UInt64
    /// Retries this read needed.
    public let retries: Int
}
