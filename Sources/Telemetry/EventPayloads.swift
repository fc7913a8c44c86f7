// The payloads of telemetry events: plain values, Codable, with JSON keys equal to the Swift
// names so a log reads like the code that wrote it.

/// The phases of a run, in the order a run normally passes through them.
public enum LoadStage: String, Codable, Sendable, CaseIterable {
    case ggufParse = "gguf_parse"
    case weightsFetch = "weights_fetch"
    case gpuUpload = "gpu_upload"
    case runtime = "runtime"
    case prefill = "prefill"
    case decode = "decode"
}

public enum StageStatus: String, Codable, Sendable {
    case started, completed, failed
}

/// A stage began, ended, or failed. `bytes` is what the stage moved (read, uploaded) when that
/// means something; `durationMs` is set on completion and failure.
public struct StageChange: Codable, Sendable, Equatable {
    public var stage: LoadStage
    public var status: StageStatus
    public var bytes: Int?
    public var durationMs: Double?
    public var message: String?

    public init(stage: LoadStage, status: StageStatus, bytes: Int? = nil, durationMs: Double? = nil,
                message: String? = nil) {
        self.stage = stage; self.status = status; self.bytes = bytes
        self.durationMs = durationMs; self.message = message
    }
}

/// Who is running what: emitted once at the start.
public struct SessionInfo: Codable, Sendable, Equatable {
    public var tool: String
    public var model: String
    public var source: String

    public init(tool: String, model: String, source: String) {
        self.tool = tool; self.model = model; self.source = source
    }
}

/// What the load is going to move, known once the tensor table is parsed; progress and ETA
/// are measured against it.
public struct LoadPlan: Codable, Sendable, Equatable {
    public var tensorCount: Int
    public var totalBytes: Int
    public var architecture: String?
    public var layers: Int?
    public var experts: Int?

    public init(tensorCount: Int, totalBytes: Int, architecture: String? = nil, layers: Int? = nil,
                experts: Int? = nil) {
        self.tensorCount = tensorCount; self.totalBytes = totalBytes
        self.architecture = architecture; self.layers = layers; self.experts = experts
    }
}

/// One tensor moved: fetched from the source, or uploaded to the GPU. `type` is the ggml type
/// name (e.g. "mxfp4", "q8_0", "f32"); `shape` is in ggml order (innermost first).
public struct TensorTransfer: Codable, Sendable, Equatable {
    public var name: String
    public var type: String
    public var shape: [Int]
    public var bytes: Int
    public var ms: Double

    public init(name: String, type: String, shape: [Int], bytes: Int, ms: Double) {
        self.name = name; self.type = type; self.shape = shape; self.bytes = bytes; self.ms = ms
    }
}

/// One GPU buffer created.
public struct GPUAllocation: Codable, Sendable, Equatable {
    public var label: String
    public var bytes: Int

    public init(label: String, bytes: Int) { self.label = label; self.bytes = bytes }
}

/// GPU memory held by the run right now.
public struct GPUMemory: Codable, Sendable, Equatable {
    public var inUseBytes: Int
    /// The most the run may use, when known (from a driver query or a user limit).
    public var budgetBytes: Int?
    public var residentTensors: Int

    public init(inUseBytes: Int, budgetBytes: Int? = nil, residentTensors: Int) {
        self.inUseBytes = inUseBytes; self.budgetBytes = budgetBytes; self.residentTensors = residentTensors
    }
}

/// The device and its limits as a flat list, so this module needs no GL types. Well-known keys
/// are in `LimitKey`; others are shown as they are.
public struct DeviceLimits: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var key: String
        public var value: String
        public init(key: String, value: String) { self.key = key; self.value = value }
    }

    public var renderer: String
    public var version: String
    public var entries: [Entry]

    public init(renderer: String, version: String, entries: [Entry]) {
        self.renderer = renderer; self.version = version; self.entries = entries
    }

    public func value(_ key: String) -> String? { entries.first { $0.key == key }?.value }
}

/// Keys of `DeviceLimits.entries` that the HUD and the terminal know how to show.
public enum LimitKey {
    public static let maxStorageBlockBytes = "max_storage_block_bytes"
    public static let maxBufferBytes = "max_buffer_bytes"
    public static let storageBlocksPerShader = "storage_blocks_per_shader"
    public static let maxWorkgroupInvocations = "max_workgroup_invocations"
    public static let sharedMemoryBytes = "shared_memory_bytes"
    /// "yes" or "no".
    public static let f16 = "f16"
    /// "yes" or "no", optionally followed by a size: "yes 32".
    public static let subgroups = "subgroups"
}

/// The first launch of one family of operations (every op runs on the GPU: there is no CPU
/// fallback). Logs written before the `placement` field went away still decode (it is ignored).
public struct KernelMode: Codable, Sendable, Equatable {
    /// One of `KernelOp.all`.
    public var op: String
    /// The compiled program that ran first, e.g. `f32_linear[…,WEIGHT_FORMAT=4]`.
    public var detail: String?

    public init(op: String, detail: String? = nil) {
        self.op = op; self.detail = detail
    }
}

/// The op names, in the order the HUD lists them: the raw values of the kernel library's
/// `KernelOperation` (GPTOSSTests checks the two lists are the same; Telemetry imports nothing).
public enum KernelOp {
    public static let embedding = "embedding"
    public static let rmsnorm = "rmsnorm"
    public static let matmul = "matmul"
    public static let rope = "rope"
    public static let kvAppend = "kv_append"
    public static let attentionDecode = "attention_decode"
    public static let attentionPrefill = "attention_prefill"
    public static let attentionProbe = "attention_probe"
    public static let router = "router"
    public static let moe = "moe"
    public static let sampling = "sampling"
    public static let all = [embedding, rmsnorm, matmul, rope, kvAppend, attentionDecode, attentionPrefill, attentionProbe,
                             router, moe, sampling]
}

/// Totals of the expert cache since the run began.
public struct ExpertCacheStats: Codable, Sendable, Equatable {
    public var hits: Int
    public var misses: Int

    public init(hits: Int, misses: Int) { self.hits = hits; self.misses = misses }
}

/// The experts the router picked in one layer for the current token.
public struct RouterChoice: Codable, Sendable, Equatable {
    public var layer: Int
    public var experts: [Int]
    public var weights: [Float]

    public init(layer: Int, experts: [Int], weights: [Float] = []) {
        self.layer = layer; self.experts = experts; self.weights = weights
    }
}

/// The Harmony channel a token belongs to.
public enum TokenChannel: String, Codable, Sendable {
    case analysis, final, other
}

/// One candidate of the sampler's top-5.
public struct TokenCandidate: Codable, Sendable, Equatable {
    public var id: Int
    public var text: String
    public var probability: Float

    public init(id: Int, text: String, probability: Float) {
        self.id = id; self.text = text; self.probability = probability
    }
}

/// One generated token with what the sampler saw.
public struct TokenSample: Codable, Sendable, Equatable {
    /// Position of the token in the sequence (prompt included).
    public var position: Int
    public var id: Int
    public var text: String
    public var channel: TokenChannel
    public var top: [TokenCandidate]
    /// Entropy of the sampling distribution, in nats.
    public var entropy: Float
    /// True when a speculative drafter proposed this token and the model accepted it (absent:
    /// no speculation).
    public var drafted: Bool?
    /// The server's sequence id of the token (absent: a single-stream run).
    public var sequence: Int?

    public init(position: Int, id: Int, text: String, channel: TokenChannel, top: [TokenCandidate],
                entropy: Float, drafted: Bool? = nil, sequence: Int? = nil) {
        self.position = position; self.id = id; self.text = text; self.channel = channel
        self.top = top; self.entropy = entropy; self.drafted = drafted; self.sequence = sequence
    }
}

/// One speculative verification step: the drafter proposed `drafted` tokens after position
/// `position`, the model accepted the first `accepted` of them and added one of its own.
public struct SpeculationStep: Codable, Sendable, Equatable {
    public var position: Int
    public var drafted: Int
    public var accepted: Int

    public init(position: Int, drafted: Int, accepted: Int) {
        self.position = position; self.drafted = drafted; self.accepted = accepted
    }
}

/// Speed of prefill or decode, measured over `tokens` tokens.
public struct Throughput: Codable, Sendable, Equatable {
    public var stage: LoadStage
    public var tokens: Int
    public var tokensPerSecond: Double

    public init(stage: LoadStage, tokens: Int, tokensPerSecond: Double) {
        self.stage = stage; self.tokens = tokens; self.tokensPerSecond = tokensPerSecond
    }
}

/// How full the KV cache is.
public struct KVCacheUse: Codable, Sendable, Equatable {
    public var usedTokens: Int
    public var capacityTokens: Int
    public var bytes: Int?
    /// The sequence whose cache this is when several are served; nil for one-shot runs.
    public var sequence: Int?

    public init(usedTokens: Int, capacityTokens: Int, bytes: Int? = nil, sequence: Int? = nil) {
        self.usedTokens = usedTokens; self.capacityTokens = capacityTokens; self.bytes = bytes; self.sequence = sequence
    }
}

/// A small picture of one layer's attention for the current token: `weights` is row-major
/// [heads, positions.count], each value the softmax weight of that head on that position
/// (the sink's share left out). Keep it small: a few heads and up to ~64 recent positions.
public struct AttentionSummary: Codable, Sendable, Equatable {
    public var layer: Int
    public var heads: Int
    public var positions: [Int]
    public var weights: [Float]

    public init(layer: Int, heads: Int, positions: [Int], weights: [Float]) {
        self.layer = layer; self.heads = heads; self.positions = positions; self.weights = weights
    }

    public func weight(head: Int, column: Int) -> Float {
        let index = head * positions.count + column
        return index < weights.count ? weights[index] : 0
    }
}

/// Something went wrong; the run shows it and usually stops.
public struct ErrorReport: Codable, Sendable, Equatable {
    public var message: String
    public var stage: LoadStage?

    public init(message: String, stage: LoadStage? = nil) { self.message = message; self.stage = stage }
}

/// A free-form line for the log and the HUD (e.g. "prompt: 42 tokens").
public struct Note: Codable, Sendable, Equatable {
    public var message: String

    public init(message: String) { self.message = message }
}

/// One served sequence changed state (`server`): it got a slot, or ended. Lets a log and a HUD
/// sessions panel follow several sequences at once.
public struct SequenceUpdate: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        case admitted, finished, cancelled
    }

    public var sequence: Int
    public var slot: Int
    public var state: State
    public var promptTokens: Int
    public var generatedTokens: Int
    /// Decode speed over the sequence so far (0 before its second token).
    public var tokensPerSecond: Double
    public var kvUsedTokens: Int
    /// Why it finished ("stop_token", "max_tokens", "context_full"), when it did.
    public var reason: String?

    public init(sequence: Int, slot: Int, state: State, promptTokens: Int, generatedTokens: Int = 0,
                tokensPerSecond: Double = 0, kvUsedTokens: Int = 0, reason: String? = nil) {
        self.sequence = sequence; self.slot = slot; self.state = state; self.promptTokens = promptTokens
        self.generatedTokens = generatedTokens; self.tokensPerSecond = tokensPerSecond
        self.kvUsedTokens = kvUsedTokens; self.reason = reason
    }
}
