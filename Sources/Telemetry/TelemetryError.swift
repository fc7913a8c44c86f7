import Foundation

/// What can go wrong while writing or reading a telemetry log.
public enum TelemetryError: LocalizedError, Equatable {
    case cannotCreateLog(path: String, reason: String)
    case cannotWriteLog(path: String, reason: String)
    case cannotReadLog(path: String, reason: String)
    case badLine(path: String, line: Int, reason: String)
    case emptyLog(path: String)

    public var errorDescription: String? {
        switch self {
        case .cannotCreateLog(let path, let reason):
            return "cannot create the telemetry log \(path): \(reason). Check that its folder exists and is writable."
        case .cannotWriteLog(let path, let reason):
            return "cannot write to the telemetry log \(path): \(reason). Is the disk full?"
        case .cannotReadLog(let path, let reason):
            return "cannot read the telemetry log \(path): \(reason). Pass the file written by --telemetry."
        case .badLine(let path, let line, let reason):
            return "\(path):\(line): not a telemetry event: \(reason). The log may be cut short or from another tool."
        case .emptyLog(let path):
            return "the telemetry log \(path) holds no events. Was the run stopped before it began?"
        }
    }
}
