import Foundation
import GGUF

/// The hyperparameters of a GPT-OSS model, read from GGUF metadata (`gpt-oss.*` keys).
///
/// Field names are camelCase; `CodingKeys` map each to its GGUF key without the architecture
/// prefix, so the JSON form of a config (telemetry, `--json` output) and the file agree on names.
/// Keys that real files omit (YaRN betas, rope dimension count, sliding-window pattern) are
/// optional: honoured when present, otherwise the defaults of docs/gpt-oss.md apply.
public struct ModelConfig: Codable, Equatable, Sendable {
    public var blockCount: Int
    public var contextLength: Int
    public var embeddingLength: Int
    public var headCount: Int
    public var headCountKV: Int
    /// Width of one query/key head (`attention.key_length`).
    public var headDim: Int
    /// Width of one value head (`attention.value_length`); GPT-OSS has it equal to `headDim`.
    public var valueHeadDim: Int
    public var expertCount: Int
    public var expertUsedCount: Int
    public var expertFeedForwardLength: Int
    public var slidingWindow: Int
    public var ropeFreqBase: Double
    public var rmsEpsilon: Double
    /// "yarn", or nil for plain RoPE.
    public var ropeScalingType: String?
    public var ropeScalingFactor: Double
    public var ropeOriginalContextLength: Int
    public var yarnBetaFast: Double
    public var yarnBetaSlow: Double
    /// Number of rotated dimensions per head; GPT-OSS rotates the whole head.
    public var ropeDimensionCount: Int
    /// Vocabulary size, taken from `token_embd.weight` (its ne1) rather than from metadata.
    public var vocabularySize: Int
    /// The SwiGLU-OAI clamp limit and sigmoid slope of the expert FFN.
    public var swigluLimit: Double
    public var swigluAlpha: Double

    enum CodingKeys: String, CodingKey {
        case blockCount = "block_count"
        case contextLength = "context_length"
        case embeddingLength = "embedding_length"
        case headCount = "attention.head_count"
        case headCountKV = "attention.head_count_kv"
        case headDim = "attention.key_length"
        case valueHeadDim = "attention.value_length"
        case expertCount = "expert_count"
        case expertUsedCount = "expert_used_count"
        case expertFeedForwardLength = "expert_feed_forward_length"
        case slidingWindow = "attention.sliding_window"
        case ropeFreqBase = "rope.freq_base"
        case rmsEpsilon = "attention.layer_norm_rms_epsilon"
        case ropeScalingType = "rope.scaling.type"
        case ropeScalingFactor = "rope.scaling.factor"
        case ropeOriginalContextLength = "rope.scaling.original_context_length"
        case yarnBetaFast = "rope.scaling.yarn_beta_fast"
        case yarnBetaSlow = "rope.scaling.yarn_beta_slow"
        case ropeDimensionCount = "rope.dimension_count"
        case vocabularySize = "vocab_size"
        case swigluLimit = "expert_swiglu_limit"
        case swigluAlpha = "expert_swiglu_alpha"
    }

    /// Query heads that share one KV head (grouped-query attention).
    public var queryGroupSize: Int { headCount / headCountKV }
    public var qWidth: Int { headCount * headDim }
    public var kvWidth: Int { headCountKV * headDim }

    /// GPT-OSS alternates sliding-window and full attention, starting with a sliding layer.
    public func isSlidingLayer(_ layer: Int) -> Bool { slidingWindow > 0 && layer % 2 == 0 }

    /// Whether RoPE uses YaRN scaling (any other scaling type is rejected at load).
    public var usesYaRN: Bool { ropeScalingType == "yarn" }
}

/// Typed access to a model file's metadata, so the config does not depend on one file reader.
public protocol ModelMetadata {
    func integerValue(_ key: String) -> Int?
    func realValue(_ key: String) -> Double?
    func stringValue(_ key: String) -> String?
}

extension ModelConfig {
    static let architecture = "gpt-oss"

    /// Reads the config from metadata; `vocabularySize` comes from the embedding tensor's shape.
    public init(metadata: ModelMetadata, vocabularySize: Int) throws {
        let arch = metadata.stringValue("general.architecture")
        guard arch == Self.architecture else { throw GPTOSSError.wrongArchitecture(found: arch.map(TerminalText.escaped)) }
        func key(_ k: CodingKeys) -> String { "\(Self.architecture).\(k.rawValue)" }
        func required(_ k: CodingKeys) throws -> Int {
            guard let value = metadata.integerValue(key(k)) else {
                throw GPTOSSError.badMetadata(key: key(k), problem: "missing or not an integer")
            }
            guard value > 0 else { throw GPTOSSError.badMetadata(key: key(k), problem: "must be positive, found \(value)") }
            return value
        }
        func optionalInt(_ k: CodingKeys, _ fallback: Int) -> Int { metadata.integerValue(key(k)) ?? fallback }
        func optionalReal(_ k: CodingKeys, _ fallback: Double) -> Double { metadata.realValue(key(k)) ?? fallback }

        blockCount = try required(.blockCount)
        embeddingLength = try required(.embeddingLength)
        headCount = try required(.headCount)
        headCountKV = try required(.headCountKV)
        expertCount = try required(.expertCount)
        expertUsedCount = try required(.expertUsedCount)
        contextLength = optionalInt(.contextLength, 131072)
        headDim = optionalInt(.headDim, embeddingLength / headCount)
        valueHeadDim = optionalInt(.valueHeadDim, headDim)
        expertFeedForwardLength = optionalInt(.expertFeedForwardLength, embeddingLength)
        slidingWindow = optionalInt(.slidingWindow, 128)
        ropeFreqBase = optionalReal(.ropeFreqBase, 150000)
        rmsEpsilon = optionalReal(.rmsEpsilon, 1e-5)
        ropeScalingType = metadata.stringValue(key(.ropeScalingType))
        ropeScalingFactor = optionalReal(.ropeScalingFactor, 1)
        ropeOriginalContextLength = optionalInt(.ropeOriginalContextLength, 4096)
        yarnBetaFast = optionalReal(.yarnBetaFast, 32)
        yarnBetaSlow = optionalReal(.yarnBetaSlow, 1)
        ropeDimensionCount = optionalInt(.ropeDimensionCount, headDim)
        swigluLimit = optionalReal(.swigluLimit, 7)
        swigluAlpha = optionalReal(.swigluAlpha, 1.702)
        self.vocabularySize = vocabularySize
        try validate()
    }

    /// Rejects values and combinations the forward pass cannot run, naming the key at fault.
    /// Sizes that decide allocations are checked against the tensor table by `ModelFile`.
    public func validate() throws {
        func fail(_ k: CodingKeys, _ problem: String) -> GPTOSSError {
            .badMetadata(key: "\(Self.architecture).\(k.rawValue)", problem: problem)
        }
        // Keys with defaults are only checked for range here; present or not, each must be usable.
        let sizes: [(CodingKeys, Int)] = [(.contextLength, contextLength), (.headDim, headDim), (.valueHeadDim, valueHeadDim),
                                          (.expertFeedForwardLength, expertFeedForwardLength), (.ropeDimensionCount, ropeDimensionCount)]
        for (k, value) in sizes where value <= 0 { throw fail(k, "must be positive, found \(value)") }
        let reals: [(CodingKeys, Double)] = [(.ropeFreqBase, ropeFreqBase), (.rmsEpsilon, rmsEpsilon), (.ropeScalingFactor, ropeScalingFactor),
                                             (.yarnBetaFast, yarnBetaFast), (.yarnBetaSlow, yarnBetaSlow),
                                             (.swigluLimit, swigluLimit), (.swigluAlpha, swigluAlpha)]
        for (k, value) in reals where !value.isFinite { throw fail(k, "must be a finite number, found \(value)") }
        guard ropeFreqBase > 1 else { throw fail(.ropeFreqBase, "RoPE base \(ropeFreqBase) must be above 1") }
        guard rmsEpsilon > 0 else { throw fail(.rmsEpsilon, "RMSNorm epsilon \(rmsEpsilon) must be positive") }
        guard swigluLimit > 0 else { throw fail(.swigluLimit, "clamp limit \(swigluLimit) must be positive") }
        // The tensor table multiplies these before any shape is compared with the file's: a
        // product past Int's range must be an error, not a trap.
        guard !headCount.multipliedReportingOverflow(by: headDim).overflow else {
            throw fail(.headDim, "\(headDim) × \(headCount) query heads overflows")
        }
        guard headCount % headCountKV == 0 else {
            throw fail(.headCountKV, "\(headCountKV) does not divide the query head count \(headCount)")
        }
        guard headDim % 2 == 0 else { throw fail(.headDim, "head width \(headDim) must be even for RoPE") }
        guard valueHeadDim == headDim else {
            throw fail(.valueHeadDim, "value head width \(valueHeadDim) differs from key width \(headDim)")
        }
        guard ropeDimensionCount == headDim else {
            throw fail(.ropeDimensionCount, "partial RoPE (\(ropeDimensionCount) of \(headDim) dims) is not GPT-OSS")
        }
        guard expertUsedCount <= expertCount else {
            throw fail(.expertUsedCount, "\(expertUsedCount) experts per token but only \(expertCount) experts")
        }
        guard slidingWindow >= 0 else { throw fail(.slidingWindow, "negative window \(slidingWindow)") }
        // Both size KV caches: positions are 32-bit in the kernels, and a window wider than the
        // context cannot be filled (and would size a sliding layer's cache past the context's).
        guard contextLength <= Int(Int32.max) else {
            throw fail(.contextLength, "\(contextLength) positions; the kernels address at most \(Int32.max)")
        }
        guard slidingWindow <= contextLength else {
            throw fail(.slidingWindow, "window \(slidingWindow) is wider than the context \(contextLength)")
        }
        if let type = ropeScalingType, type != "yarn", type != "none" {
            throw fail(.ropeScalingType, "scaling '\(TerminalText.escaped(type))' is not supported (yarn or none)")
        }
        if usesYaRN, ropeScalingFactor < 1 {
            throw fail(.ropeScalingFactor, "YaRN factor \(ropeScalingFactor) below 1")
        }
        if usesYaRN, ropeOriginalContextLength <= 0 {
            throw fail(.ropeOriginalContextLength, "YaRN needs the original (pre-scaling) context, found \(ropeOriginalContextLength)")
        }
    }
}
