import Foundation

/// Reads a JSONL telemetry log back into events, in the order they were written.
public enum JSONLReplayer {
    public static func read(path: String) throws -> [TelemetryEvent] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw TelemetryError.cannotReadLog(path: path, reason: "no such file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TelemetryError.cannotReadLog(path: path, reason: "it is not a readable file")
        }
        let events = try decode(data, path: path)
        if events.isEmpty { throw TelemetryError.emptyLog(path: path) }
        return events
    }

    /// Decodes every non-blank line; `path` only names the source in errors.
    public static func decode(_ data: Data, path: String = "<telemetry>") throws -> [TelemetryEvent] {
        let decoder = TelemetryJSON.makeDecoder()
        var events: [TelemetryEvent] = []
        var lineNumber = 0
        var start = data.startIndex
        while start < data.endIndex {
            lineNumber += 1
            let end = data[start...].firstIndex(of: UInt8(ascii: "\n")) ?? data.endIndex
            let line = data[start..<end]
            start = end < data.endIndex ? data.index(after: end) : end
            if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\t") }) {
                continue
            }
            do {
                events.append(try decoder.decode(TelemetryEvent.self, from: line))
            } catch {
                throw TelemetryError.badLine(path: path, line: lineNumber, reason: describe(error))
            }
        }
        return events
    }

    /// Feeds a log's events to a sink, as a live run would have.
    public static func replay(_ events: [TelemetryEvent], into sink: TelemetrySink) {
        for event in events { sink.receive(event) }
    }

    private static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context):
            return context.debugDescription
        case DecodingError.keyNotFound(let key, _):
            return "missing field \"\(key.stringValue)\""
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            return "field \"\(field)\": \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }
}
