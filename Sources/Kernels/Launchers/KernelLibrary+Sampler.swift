import Foundation
import GLES

/// Reduces a vocabulary of logits on the GPU to a small record: the argmax, the log-sum-exp and
/// entropy of softmax(logits / temperature), and the `candidates` best ids with their logits.
public struct LogitReductionArgs {
    public var logits: GPUBuffer
    /// Index of the first logit (e.g. the last token of a prefill batch).
    public var offset: Int
    public var vocab: Int
    /// How many best candidates to keep (1...64), enough for top-k / top-p sampling.
    public var candidates: Int
    /// Temperature of the distribution the statistics describe (> 0; use 1 for greedy decoding).
    public var temperature: Float
    /// Written: `LogitSummary.wordCount(candidates:)` u32 words.
    public var result: GPUBuffer

    public init(logits: GPUBuffer, offset: Int = 0, vocab: Int, candidates: Int, temperature: Float = 1, result: GPUBuffer) {
        self.logits = logits
        self.offset = offset
        self.vocab = vocab
        self.candidates = candidates
        self.temperature = temperature
        self.result = result
    }
}

/// The record `reduceLogits` writes, decoded on the CPU.
public struct LogitSummary: Equatable, Sendable {
    public let argmax: Int
    public let maxLogit: Float
    /// ln Σ exp(logit / T).
    public let logSumExp: Float
    /// Entropy of softmax(logit / T), in nats.
    public let entropy: Float
    public let temperature: Float
    /// Best first; ties broken by the lower id.
    public let candidates: [(id: Int, logit: Float)]

    public static func wordCount(candidates k: Int) -> Int { 4 + 2 * k }

    public init(words: [UInt32], candidates k: Int, temperature: Float) {
        argmax = Int(words[0])
        maxLogit = Float(bitPattern: words[1])
        logSumExp = Float(bitPattern: words[2])
        entropy = Float(bitPattern: words[3])
        self.temperature = temperature
        candidates = (0 ..< k).map { (Int(words[4 + $0]), Float(bitPattern: words[4 + k + $0])) }
    }

    /// Probability of a candidate's logit under softmax(logits / T).
    public func probability(ofLogit logit: Float) -> Float {
        exp(logit / temperature - logSumExp)
    }

    public static func == (a: LogitSummary, b: LogitSummary) -> Bool {
        a.argmax == b.argmax && a.maxLogit == b.maxLogit && a.logSumExp == b.logSumExp && a.entropy == b.entropy
            && a.temperature == b.temperature && a.candidates.map(\.id) == b.candidates.map(\.id)
            && a.candidates.map(\.logit) == b.candidates.map(\.logit)
    }
}

extension KernelLibrary {
    @discardableResult
    public func reduceLogits(_ a: LogitReductionArgs) throws -> KernelReport {
        let kernel = Kernel.logitsReduce, name = kernel.shader
        try require(a.vocab > 0 && a.offset >= 0, name, "vocab must be positive and offset ≥ 0")
        try require(a.candidates >= 1 && a.candidates <= min(64, a.vocab), name, "candidates = \(a.candidates) must be in 1...min(64, vocab)")
        try require(a.temperature > 0 && a.temperature.isFinite, name, "temperature must be positive (use 1 for greedy decoding)")
        try requireFloats(a.logits, a.offset + a.vocab, name)
        try requireFloats(a.result, LogitSummary.wordCount(candidates: a.candidates), name)
        let slice = tuning.sampler.slice
        let groups = (a.vocab + slice - 1) / slice
        try groupsFit(groups, 1, name)
        let stats = try scratchBuffer("sampler.stats", bytes: groups * 16)
        let values = try scratchBuffer("sampler.values", bytes: groups * a.candidates * 4)
        let ids = try scratchBuffer("sampler.ids", bytes: groups * a.candidates * 4)
        let wg = UInt32(tuning.sampler.workgroup)
        let pass1 = try program(kernel, ["WG_SIZE": wg])
        var p = UniformWriter(for: pass1)
        p.u32("n", a.vocab); p.u32("slice", slice); p.u32("k", a.candidates); p.f32("inv_temperature", 1 / a.temperature)
        p.u32("offset", a.offset); p.u32("pad0", 0); p.u32("pad1", 0); p.u32("pad2", 0)
        try run(pass1, params: p, storage: [use(1, a.logits, floats: a.offset + a.vocab), use(2, stats), use(3, values), use(4, ids)], groups: (groups, 1, 1))
        let pass2 = try program(Kernel.logitsSelect, ["WG_SIZE": wg])
        var q = UniformWriter(for: pass2)
        q.u32("n_groups", groups); q.u32("k", a.candidates); q.f32("inv_temperature", 1 / a.temperature); q.u32("pad0", 0)
        try run(pass2, params: q, storage: [use(1, stats), use(2, values), use(3, ids),
                                                    use(4, a.result, floats: LogitSummary.wordCount(candidates: a.candidates))], groups: (1, 1, 1))
        return pass1.report(dispatches: 2)
    }

    /// `reduceLogits` into an internal buffer, then reads the record back (a few hundred bytes).
    public func summarizeLogits(logits: GPUBuffer, offset: Int = 0, vocab: Int, candidates: Int,
                                temperature: Float = 1) throws -> LogitSummary {
        let words = LogitSummary.wordCount(candidates: candidates)
        let result = try scratchBuffer("sampler.result", bytes: words * 4)
        try reduceLogits(LogitReductionArgs(logits: logits, offset: offset, vocab: vocab, candidates: candidates,
                                            temperature: temperature, result: result))
        return LogitSummary(words: try result.readUInt32s(count: words), candidates: candidates, temperature: temperature)
    }
}
