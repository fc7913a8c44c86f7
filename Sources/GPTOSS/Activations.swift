import GLES
import Kernels

/// The scratch buffers one forward step works in, sized for `batch` tokens at once. Rows are
/// per token; the names say what each holds (shapes per token).
final class Activations {
    let batch: Int
    /// Token ids of the step: [batch] u32. Two buffers taken in turn (`nextTokenIDs`): a step's
    /// upload then goes into the buffer the step before last read, so it waits (`QueuedReads`)
    /// only when the CPU has queued two steps ahead of the GPU, and a prefill in several steps
    /// keeps queueing one step while the GPU runs the one before.
    var tokenIDs: GPUBuffer { tokenIDBuffers[tokenIDTurn] }
    private let tokenIDBuffers: [GPUBuffer]
    private var tokenIDTurn = 0
    /// The residual stream x: [batch][hidden].
    let residual: GPUBuffer
    /// rmsnorm output (attn_norm, then ffn_norm): [batch][hidden].
    let normed: GPUBuffer
    /// [q | k | v] per token: [batch][qWidth + 2·kvWidth].
    let qkv: GPUBuffer
    /// The attention mix of the heads: [batch][qWidth].
    let attention: GPUBuffer
    /// Router logits: [batch][experts].
    let routerLogits: GPUBuffer
    /// The router's chosen experts and their weights: [batch][k] u32 / f32.
    let expertIDs: GPUBuffer
    let expertWeights: GPUBuffer
    /// SwiGLU outputs of each chosen expert: [batch·k][ff].
    let expertActivations: GPUBuffer
    /// Logits: [batch][vocab].
    let logits: GPUBuffer
    /// Where fused-into-the-residual results are recomputed when a dump asks for them: [batch][hidden].
    let dumpScratch: GPUBuffer
    /// The sampler's reduction record.
    let summary: GPUBuffer
    /// One reduction record per sampled row of a step (a sequence of a batch, or a row of a
    /// speculative verification), and all of them side by side
    /// for a single readback.
    let sequenceSummaries: [GPUBuffer]
    let gatheredSummaries: GPUBuffer

    let qkvWidth: Int

    init(context: GLContext, config c: ModelConfig, batch: Int, sequences: Int = 1) throws {
        self.batch = batch
        qkvWidth = c.qWidth + 2 * c.kvWidth
        func floats(_ count: Int, _ label: String) throws -> GPUBuffer {
            try context.makeBuffer(byteCount: max(count, 4) * 4, label: "act.\(label)")
        }
        tokenIDBuffers = try [floats(batch, "token_ids.0"), floats(batch, "token_ids.1")]
        residual = try floats(batch * c.embeddingLength, "residual")
        normed = try floats(batch * c.embeddingLength, "normed")
        qkv = try floats(batch * qkvWidth, "qkv")
        attention = try floats(batch * c.qWidth, "attention")
        routerLogits = try floats(batch * c.expertCount, "router_logits")
        expertIDs = try floats(batch * c.expertUsedCount, "expert_ids")
        expertWeights = try floats(batch * c.expertUsedCount, "expert_weights")
        expertActivations = try floats(batch * c.expertUsedCount * c.expertFeedForwardLength, "expert_activations")
        logits = try floats(batch * c.vocabularySize, "logits")
        dumpScratch = try floats(batch * c.embeddingLength, "dump_scratch")
        let words = LogitSummary.wordCount(candidates: SamplingParameters.maxCandidates)
        summary = try floats(words, "sampler_summary")
        // A record per sequence, or per row of a speculative verification step.
        let records = max(sequences, SpeculationOptions.maxDraftTokens + 1)
        sequenceSummaries = try (0 ..< records).map { try floats(words, "sampler_summary.\($0)") }
        gatheredSummaries = try floats(words * records, "sampler_summaries")
    }

    /// Bytes these buffers take for `batch` tokens (for the up-front memory check).
    static func byteCount(config c: ModelConfig, batch: Int) -> Int {
        // + 2: the two token-id buffers.
        let perToken = 3 * c.embeddingLength + c.qWidth * 2 + 2 * c.kvWidth + c.expertCount
            + 2 * c.expertUsedCount + c.expertUsedCount * c.expertFeedForwardLength + c.vocabularySize + 2
        return 4 * (batch * perToken + LogitSummary.wordCount(candidates: SamplingParameters.maxCandidates))
    }

    /// The token-id buffer of the next step (the other one of the two), made the current one.
    func nextTokenIDs() -> GPUBuffer {
        tokenIDTurn = 1 - tokenIDTurn
        return tokenIDs
    }
}
