/// How far a model load has come, folded from events. Shared by the terminal and the HUD so
/// both show the same numbers.
public struct LoadProgress: Sendable, Equatable {
    public private(set) var tensorCount = 0
    public private(set) var totalBytes = 0
    public private(set) var fetchedBytes = 0
    public private(set) var fetchedTensors = 0
    public private(set) var uploadedBytes = 0
    public private(set) var uploadedTensors = 0
    public private(set) var currentTensor: String?
    /// When the first tensor byte was asked for: the start of the rate's window.
    public private(set) var fetchStart: Double?

    public init() {}

    public mutating func apply(_ event: TelemetryEvent) {
        switch event.payload {
        case .loadPlan(let plan):
            tensorCount = plan.tensorCount
            totalBytes = plan.totalBytes
        case .stage(let change) where change.stage == .weightsFetch && change.status == .started:
            fetchStart = fetchStart ?? event.time
        case .tensorFetched(let tensor):
            if fetchStart == nil { fetchStart = event.time - tensor.ms / 1000 }
            fetchedBytes += tensor.bytes
            fetchedTensors += 1
            currentTensor = tensor.name
        case .tensorUploaded(let tensor):
            uploadedBytes += tensor.bytes
            uploadedTensors += 1
        default:
            break
        }
    }

    /// Fraction of the planned bytes fetched, 0...1 (0 before the plan is known).
    public var fraction: Double {
        totalBytes > 0 ? min(1, Double(fetchedBytes) / Double(totalBytes)) : 0
    }

    public func bytesPerSecond(at time: Double) -> Double? {
        guard let fetchStart, time - fetchStart > 0.05, fetchedBytes > 0 else { return nil }
        return Double(fetchedBytes) / (time - fetchStart)
    }

    public func etaSeconds(at time: Double) -> Double? {
        guard let rate = bytesPerSecond(at: time), rate > 0, totalBytes > 0 else { return nil }
        return Double(max(0, totalBytes - fetchedBytes)) / rate
    }
}

/// Byte counts for people: binary units, three significant digits.
public enum ByteCount {
    public static func format(_ bytes: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
        if unit == 0 { return "\(bytes) B" }
        let digits = value >= 100 ? 0 : value >= 10 ? 1 : 2
        return String(format: "%.\(digits)f %@", value, units[unit])
    }
}
