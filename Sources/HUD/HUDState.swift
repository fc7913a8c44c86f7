import Telemetry

/// Everything the HUD shows, folded from the events of a run in order. The HUD is a pure
/// function of this state and the frame time, so a log replayed into a fresh state draws the
/// same frames the live run drew.
public struct HUDState: Sendable, Equatable {
    public struct StageState: Sendable, Equatable {
        public var status: StageStatus
        public var startTime: Double
        public var endTime: Double?
        public var durationMs: Double?
        public var bytes: Int?
    }

    /// A tensor as seen in the load list: fetched, then (usually) uploaded.
    public struct TensorRow: Sendable, Equatable {
        public var name: String
        public var type: String
        public var shape: [Int]
        public var bytes: Int
        public var fetchMs: Double
        public var uploadMs: Double?
        public var time: Double
    }

    public struct TimedToken: Sendable, Equatable {
        public var sample: TokenSample
        public var time: Double
    }

    public struct TimedError: Sendable, Equatable {
        public var report: ErrorReport
        public var time: Double
    }

    /// Time of the last event folded in.
    public private(set) var time: Double = 0
    public private(set) var eventCount = 0
    public private(set) var session: SessionInfo?
    public private(set) var plan: LoadPlan?
    public private(set) var load = LoadProgress()
    public private(set) var stages: [LoadStage: StageState] = [:]
    /// The most recent tensors, newest last; at most `tensorHistory`.
    public private(set) var tensors: [TensorRow] = []
    /// Tensors uploaded per transformer layer (from "blk.N." names), for the layer map.
    public private(set) var layerUploads: [Int: Int] = [:]
    /// The layer of the latest uploaded tensor, if it belonged to one.
    public private(set) var currentLayer: Int?
    public private(set) var memory: GPUMemory?
    public private(set) var peakMemoryBytes = 0
    public private(set) var allocationCount = 0
    /// (time, bytes in use) samples for the memory trace; at most `traceLength`.
    public private(set) var memoryTrace: [Sample] = []
    public private(set) var limits: DeviceLimits?
    /// Kernel modes by op, in the order first reported.
    public private(set) var kernelModes: [KernelMode] = []
    public private(set) var expertCache: ExpertCacheStats?
    /// The latest router choice of each layer.
    public private(set) var routerByLayer: [Int: RouterChoice] = [:]
    /// How often each expert was picked, over all layers and tokens.
    public private(set) var expertPicks: [Int: Int] = [:]
    public private(set) var tokens: [TimedToken] = []
    public private(set) var prefillSpeed: Throughput?
    /// The generator's own decode speed report, when it sends one.
    public private(set) var decodeSpeed: Throughput?
    /// Decode speed measured from the token timestamps over the last `speedWindow` tokens, so
    /// the meter moves even when the generator reports speed only at the end.
    public private(set) var measuredDecodeRate: Double?
    /// (time, tok/s) samples of decode for the speed trace; at most `traceLength`.
    public private(set) var speedTrace: [Sample] = []
    public private(set) var kvCache: KVCacheUse?
    public private(set) var attention: AttentionSummary?
    public private(set) var errors: [TimedError] = []
    public private(set) var notes: [String] = []
    /// Speculative decoding so far: verification steps, drafted and accepted tokens (nil: none).
    public private(set) var speculation: SpeculationTotals?
    /// The server's latest sessions table (nil: a single-stream run).
    public private(set) var sessions: SessionTable?
    /// The latest text of each server sequence (its last `sequenceTextLength` characters), for
    /// the sessions view.
    public private(set) var sequenceText: [Int: String] = [:]

    public struct SpeculationTotals: Sendable, Equatable {
        public var steps = 0
        public var drafted = 0
        public var accepted = 0
        /// Accepted drafts over drafted tokens.
        public var acceptanceRate: Double { drafted > 0 ? Double(accepted) / Double(drafted) : 0 }
    }

    public struct Sample: Sendable, Equatable {
        public var time: Double
        public var value: Double
    }

    static let tensorHistory = 256
    static let traceLength = 240
    static let noteHistory = 8
    static let speedWindow = 16
    static let sequenceTextLength = 48
    /// Tokens kept for the stream: a server runs for hours, and a frame wraps them all.
    static let tokenHistory = 4096

    public init() {}

    public init(events: [TelemetryEvent], upTo time: Double = .infinity) {
        for event in events where event.time <= time { apply(event) }
    }

    public mutating func apply(_ event: TelemetryEvent) {
        time = max(time, event.time)
        eventCount += 1
        load.apply(event)
        switch event.payload {
        case .session(let info):
            session = info
        case .loadPlan(let value):
            plan = value
        case .stage(let change):
            applyStage(change, at: event.time)
        case .tensorFetched(let tensor):
            tensors.append(TensorRow(name: tensor.name, type: tensor.type, shape: tensor.shape, bytes: tensor.bytes,
                                     fetchMs: tensor.ms, uploadMs: nil, time: event.time))
            if tensors.count > Self.tensorHistory { tensors.removeFirst(tensors.count - Self.tensorHistory) }
        case .tensorUploaded(let tensor):
            currentLayer = Self.layer(of: tensor.name)
            if let layer = currentLayer { layerUploads[layer, default: 0] += 1 }
            if let index = tensors.lastIndex(where: { $0.name == tensor.name && $0.uploadMs == nil }) {
                tensors[index].uploadMs = tensor.ms
            } else {
                tensors.append(TensorRow(name: tensor.name, type: tensor.type, shape: tensor.shape, bytes: tensor.bytes,
                                         fetchMs: 0, uploadMs: tensor.ms, time: event.time))
            }
        case .gpuAllocation:
            allocationCount += 1
        case .gpuMemory(let value):
            memory = value
            peakMemoryBytes = max(peakMemoryBytes, value.inUseBytes)
            Self.push(Sample(time: event.time, value: Double(value.inUseBytes)), into: &memoryTrace)
        case .limits(let value):
            limits = value
        case .kernelMode(let mode):
            if let index = kernelModes.firstIndex(where: { $0.op == mode.op }) {
                kernelModes[index] = mode
            } else {
                kernelModes.append(mode)
            }
        case .expertCache(let stats):
            expertCache = stats
        case .speculation(let step):
            var totals = speculation ?? SpeculationTotals()
            totals.steps += 1
            totals.drafted += step.drafted
            totals.accepted += step.accepted
            speculation = totals
        case .sessions(let table):
            sessions = table
            let live = Set(table.rows.map(\.sequence))
            sequenceText = sequenceText.filter { live.contains($0.key) }
        case .router(let choice):
            routerByLayer[choice.layer] = choice
            for expert in choice.experts { expertPicks[expert, default: 0] += 1 }
        case .token(let sample):
            tokens.append(TimedToken(sample: sample, time: event.time))
            if tokens.count > Self.tokenHistory { tokens.removeFirst(tokens.count - Self.tokenHistory) }
            if let sequence = sample.sequence {
                let text = (sequenceText[sequence] ?? "") + sample.text
                sequenceText[sequence] = String(text.suffix(Self.sequenceTextLength))
            }
            let window = tokens.suffix(Self.speedWindow)
            if window.count >= 2, let first = window.first, event.time > first.time {
                measuredDecodeRate = Double(window.count - 1) / (event.time - first.time)
                Self.push(Sample(time: event.time, value: measuredDecodeRate!), into: &speedTrace)
            }
        case .throughput(let speed):
            if speed.stage == .prefill {
                prefillSpeed = speed
            } else {
                decodeSpeed = speed
            }
        case .kvCache(let use):
            kvCache = use
        case .attention(let summary):
            attention = summary
        case .error(let report):
            errors.append(TimedError(report: report, time: event.time))
        case .note(let note):
            notes.append(note.message)
            if notes.count > Self.noteHistory { notes.removeFirst() }
        case .sequence:
            break // served sequences (`server`): for a sessions panel, not drawn yet
        }
    }

    private mutating func applyStage(_ change: StageChange, at time: Double) {
        switch change.status {
        case .started:
            stages[change.stage] = StageState(status: .started, startTime: time, endTime: nil, durationMs: nil,
                                              bytes: change.bytes)
        case .completed, .failed:
            let start = stages[change.stage]?.startTime ?? time - (change.durationMs ?? 0) / 1000
            stages[change.stage] = StageState(status: change.status, startTime: start, endTime: time,
                                              durationMs: change.durationMs, bytes: change.bytes)
        }
    }

    /// N of a "blk.N.…" tensor name.
    static func layer(of name: String) -> Int? {
        guard name.hasPrefix("blk.") else { return nil }
        return Int(name.dropFirst(4).prefix { $0.isNumber })
    }

    private static func push(_ sample: Sample, into trace: inout [Sample]) {
        trace.append(sample)
        if trace.count > traceLength { trace.removeFirst(trace.count - traceLength) }
    }

    // MARK: - Derived views

    /// What the run is doing, for the status tag and the big button.
    public enum Phase: String, Sendable {
        case idle = "IDLE", loading = "LOADING", ready = "READY", prefill = "PREFILL"
        case generating = "GENERATING", done = "DONE", failed = "FAULT"
    }

    public var phase: Phase {
        if !errors.isEmpty || stages.values.contains(where: { $0.status == .failed }) { return .failed }
        if let decode = stages[.decode] { return decode.status == .completed ? .done : .generating }
        if stages[.prefill] != nil { return .prefill }
        if stages[.runtime]?.status == .completed { return .ready }
        if stages.isEmpty && plan == nil { return .idle }
        return .loading
    }

    /// Overall load progress 0...1: parsing counts a little, fetched and uploaded bytes the rest.
    public var loadFraction: Double {
        if stages[.runtime]?.status == .completed || stages[.prefill] != nil || stages[.decode] != nil { return 1 }
        let parsed: Double = stages[.ggufParse]?.status == .completed ? 1 : 0
        let uploaded = load.totalBytes > 0 ? min(1, Double(load.uploadedBytes) / Double(load.totalBytes)) : 0
        return min(0.99, 0.02 * parsed + 0.49 * load.fraction + 0.49 * uploaded)
    }

    public var latestToken: TimedToken? { tokens.last }

    /// Tokens per second to show: the generator's report when it is the latest word (it knows
    /// the exact decode time), else the rate measured from token timestamps.
    public var decodeRate: Double? {
        if let report = decodeSpeed, report.tokens >= tokens.count { return report.tokensPerSecond }
        return measuredDecodeRate ?? decodeSpeed?.tokensPerSecond
    }
}
