import Foundation

/// The terminal view of a run, on stderr: a progress bar while loading (bytes, rate, ETA,
/// current tensor), one line per finished stage, and a tokens/s line while generating.
/// Updates are paced by event time, not wall time, so the same log always prints the same.
public final class ProgressReporter: TelemetrySink, @unchecked Sendable {
    public enum Style: Sendable {
        /// Bars redrawn in place: for a terminal.
        case interactive
        /// Plain lines every few seconds: for a file or a CI log.
        case lines
        /// One JSON object per line (`--json`), for tools.
        case json
        /// Nothing (`--quiet`).
        case quiet

        /// `interactive` on a terminal, `lines` otherwise; `json`/`quiet` when asked.
        public static func forStderr(quiet: Bool, json: Bool) -> Style {
            if quiet { return .quiet }
            if json { return .json }
            return isatty(STDERR_FILENO) != 0 ? .interactive : .lines
        }
    }

    private let style: Style
    private let showsDecodeLine: Bool
    private let write: (String) -> Void
    private let lock = NSLock()
    private var load = LoadProgress()
    private var decodedTokens = 0
    private var decodeRate: Double?
    private var lastUpdate = -Double.infinity
    private var lineOpen = false

    /// `write` receives finished text (with newlines or carriage returns); by default stderr.
    /// `showsDecodeLine: false` keeps quiet while tokens stream (when the answer itself goes to
    /// the same terminal on stdout, a redrawn stderr line would cut through it); the decode
    /// summary still prints when decoding completes.
    public init(style: Style, showsDecodeLine: Bool = true,
                write: @escaping (String) -> Void = ProgressReporter.writeToStderr) {
        self.style = style
        self.showsDecodeLine = showsDecodeLine
        self.write = write
    }

    public static func writeToStderr(_ text: String) {
        fputs(text, stderr)
        fflush(stderr)
    }

    public func receive(_ event: TelemetryEvent) {
        guard style != .quiet else { return }
        lock.lock(); defer { lock.unlock() }
        load.apply(event)
        switch event.payload {
        case .stage(let change):
            if change.stage == .decode, change.status == .started { decodedTokens = 0 }
            if change.status != .started { report(stage: change, at: event.time) }
            if change.stage == .decode, change.status == .completed { closeLine() }
        case .tensorFetched, .tensorUploaded:
            updateIfDue(at: event.time) { self.loadLine(at: event.time) }
        case .token:
            decodedTokens += 1
            if showsDecodeLine { updateIfDue(at: event.time) { self.decodeLine() } }
        case .throughput(let speed) where speed.stage == .decode:
            decodeRate = speed.tokensPerSecond
        case .throughput(let speed):
            emitLine(plain: String(format: "%@: %d tokens, %.1f tok/s", speed.stage.rawValue, speed.tokens, speed.tokensPerSecond),
                     json: ProgressLine(event: "throughput", stage: speed.stage.rawValue, tokens: speed.tokens,
                                        tokensPerSecond: speed.tokensPerSecond))
        default:
            break
        }
    }

    public func finish() throws {
        lock.lock(); defer { lock.unlock() }
        closeLine()
    }

    // MARK: - Lines

    private func loadLine(at time: Double) -> (String, ProgressLine) {
        let fraction = load.fraction
        let rate = load.bytesPerSecond(at: time)
        let eta = load.etaSeconds(at: time)
        var text = "loading \(Self.bar(fraction, width: 24)) \(String(format: "%5.1f%%", fraction * 100))"
        text += "  \(ByteCount.format(load.fetchedBytes)) / \(ByteCount.format(load.totalBytes))"
        if let rate { text += "  \(ByteCount.format(Int(rate)))/s" }
        if let eta { text += "  ETA \(Self.clock(eta))" }
        if let name = load.currentTensor { text += "  \(name)" }
        let json = ProgressLine(event: "progress", stage: LoadStage.weightsFetch.rawValue, fraction: fraction,
                                bytes: load.fetchedBytes, totalBytes: load.totalBytes, bytesPerSecond: rate,
                                etaSeconds: eta, tensor: load.currentTensor)
        return (text, json)
    }

    private func decodeLine() -> (String, ProgressLine) {
        var text = "decode  \(decodedTokens) tokens"
        if let decodeRate { text += String(format: "  %.1f tok/s", decodeRate) }
        return (text, ProgressLine(event: "progress", stage: LoadStage.decode.rawValue, tokens: decodedTokens,
                                   tokensPerSecond: decodeRate))
    }

    private func report(stage change: StageChange, at time: Double) {
        var text = "\(change.status == .completed ? "done" : "FAILED")  \(change.stage.rawValue)"
        if let ms = change.durationMs { text += String(format: "  %.2f s", ms / 1000) }
        if let bytes = change.bytes { text += "  \(ByteCount.format(bytes))" }
        if let message = change.message { text += "  \(message)" }
        emitLine(plain: text, json: ProgressLine(event: "stage", stage: change.stage.rawValue,
                                                 status: change.status.rawValue, bytes: change.bytes,
                                                 durationMs: change.durationMs, message: change.message))
    }

    // MARK: - Output by style

    private var interval: Double {
        switch style {
        case .interactive: return 0.1
        case .json: return 0.25
        case .lines, .quiet: return 2
        }
    }

    private func updateIfDue(at time: Double, _ make: () -> (String, ProgressLine)) {
        guard time - lastUpdate >= interval else { return }
        lastUpdate = time
        let (text, json) = make()
        switch style {
        case .interactive:
            write("\r\u{1B}[2K" + text)
            lineOpen = true
        case .lines: write(text + "\n")
        case .json: write(json.encoded() + "\n")
        case .quiet: break
        }
    }

    private func emitLine(plain: String, json: ProgressLine) {
        switch style {
        case .interactive:
            write((lineOpen ? "\r\u{1B}[2K" : "") + plain + "\n")
            lineOpen = false
            lastUpdate = -Double.infinity
        case .lines: write(plain + "\n")
        case .json: write(json.encoded() + "\n")
        case .quiet: break
        }
    }

    private func closeLine() {
        if lineOpen { write("\n"); lineOpen = false }
    }

    static func bar(_ fraction: Double, width: Int) -> String {
        let filled = Int((min(max(fraction, 0), 1) * Double(width)).rounded(.down))
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "]"
    }

    static func clock(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        return total >= 3600 ? String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60)
                             : String(format: "%d:%02d", total / 60, total % 60)
    }
}

/// One `--json` progress line; fields that do not apply are left out.
struct ProgressLine: Encodable {
    var event: String
    var stage: String?
    var status: String?
    var fraction: Double?
    var bytes: Int?
    var totalBytes: Int?
    var bytesPerSecond: Double?
    var etaSeconds: Double?
    var tensor: String?
    var tokens: Int?
    var tokensPerSecond: Double?
    var durationMs: Double?
    var message: String?

    init(event: String, stage: String? = nil, status: String? = nil, fraction: Double? = nil, bytes: Int? = nil,
         totalBytes: Int? = nil, bytesPerSecond: Double? = nil, etaSeconds: Double? = nil, tensor: String? = nil,
         tokens: Int? = nil, tokensPerSecond: Double? = nil, durationMs: Double? = nil, message: String? = nil) {
        self.event = event; self.stage = stage; self.status = status; self.fraction = fraction
        self.bytes = bytes; self.totalBytes = totalBytes; self.bytesPerSecond = bytesPerSecond
        self.etaSeconds = etaSeconds; self.tensor = tensor; self.tokens = tokens
        self.tokensPerSecond = tokensPerSecond; self.durationMs = durationMs; self.message = message
    }

    func encoded() -> String {
        let encoder = TelemetryJSON.makeEncoder()
        guard let data = try? encoder.encode(self) else { return "{\"event\":\"\(event)\"}" }
        return String(decoding: data, as: UTF8.self)
    }
}
