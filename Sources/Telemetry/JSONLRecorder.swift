import Foundation

/// Writes each event as one line of JSON (`--telemetry FILE`). Lines are flushed often enough
/// that a run that dies still leaves a readable log up to its last flush.
public final class JSONLRecorder: TelemetrySink, @unchecked Sendable {
    public let path: String
    private let file: UnsafeMutablePointer<FILE>
    private let encoder = TelemetryJSON.makeEncoder()
    private var failure: TelemetryError?
    private var closed = false

    public init(path: String) throws {
        guard let file = fopen(path, "w") else {
            throw TelemetryError.cannotCreateLog(path: path, reason: String(cString: strerror(errno)))
        }
        self.path = path
        self.file = file
    }

    deinit {
        if !closed { fclose(file) }
    }

    public func receive(_ event: TelemetryEvent) {
        guard failure == nil, !closed else { return }
        do {
            var line = try encoder.encode(event)
            line.append(UInt8(ascii: "\n"))
            let written = line.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
            if written != line.count {
                failure = .cannotWriteLog(path: path, reason: String(cString: strerror(errno)))
                return
            }
            if Self.flushesAfter(event.payload) { fflush(file) }
        } catch {
            failure = .cannotWriteLog(path: path, reason: "\(error)")
        }
    }

    /// Closes the file; throws the first write failure of the run, if any.
    public func finish() throws {
        if !closed {
            closed = true
            if fclose(file) != 0, failure == nil {
                failure = .cannotWriteLog(path: path, reason: String(cString: strerror(errno)))
            }
        }
        if let failure { throw failure }
    }

    /// Flushing on every token would cost a syscall per token; milestones are enough to keep
    /// a crashed run's log useful.
    private static func flushesAfter(_ payload: TelemetryPayload) -> Bool {
        switch payload {
        case .stage, .error, .session, .loadPlan, .throughput: return true
        default: return false
        }
    }
}

/// The JSON settings shared by the recorder and the replayer, so a log round-trips exactly.
enum TelemetryJSON {
    static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }
}
