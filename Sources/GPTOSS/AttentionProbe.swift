import Foundation
import GLES
import Kernels
import Telemetry

/// Which attention weights the HUD's heatmap gets: one layer, the first `heads` query heads,
/// the last `columns` positions the newest token sees.
public struct AttentionProbeOptions: Sendable, Equatable {
    /// nil: the last full-attention layer (it sees the whole context, so its rows show where
    /// the model looks back to; a sliding layer only sees its window).
    public var layer: Int?
    /// Query heads 0 ..< heads (clipped to the model's). 16 keeps an event near 4 KB of floats
    /// (16 × 64) and the heatmap's rows a few pixels tall; on gpt-oss-20b (64 heads, 8 KV
    /// heads) these are the heads of KV groups 0 and 1.
    public var heads: Int
    /// Recent positions, at most `AttentionProbeArgs.maxColumns` (64).
    public var columns: Int

    public init(layer: Int? = nil, heads: Int = 16, columns: Int = AttentionProbeArgs.maxColumns) {
        self.layer = layer; self.heads = heads; self.columns = columns
    }

    /// The layer these options pick in `config`.
    public func resolvedLayer(_ config: ModelConfig) throws -> Int {
        if let layer {
            guard (0 ..< config.blockCount).contains(layer) else {
                throw GPTOSSError.badAttentionProbe("layer \(layer) does not exist; the model has layers 0…\(config.blockCount - 1)")
            }
            return layer
        }
        return (0 ..< config.blockCount).last { !config.isSlidingLayer($0) } ?? config.blockCount - 1
    }
}

/// The GPU side of the attention telemetry: inside the forward pass, right after the chosen
/// layer appends its keys, one small dispatch writes the softmax weights of the step's last
/// token into `weights`; `summary()` reads them back (heads × columns floats) for the event.
/// Nothing is read back unless asked, and nothing runs when the model has no probe.
final class AttentionProbe {
    let layer: Int
    let heads: Int
    let columns: Int
    let weights: GPUBuffer
    /// The absolute positions of the last recorded columns (empty before the first step).
    private(set) var positions: [Int] = []

    init(options: AttentionProbeOptions, config: ModelConfig, context: GLContext) throws {
        guard options.heads > 0 else { throw GPTOSSError.badAttentionProbe("heads must be positive, got \(options.heads)") }
        guard (1 ... AttentionProbeArgs.maxColumns).contains(options.columns) else {
            throw GPTOSSError.badAttentionProbe("columns must be in 1…\(AttentionProbeArgs.maxColumns), got \(options.columns)")
        }
        layer = try options.resolvedLayer(config)
        heads = min(options.heads, config.headCount)
        columns = options.columns
        weights = try context.makeBuffer(byteCount: heads * columns * 4, label: "attention_probe")
    }

    /// Called by the forward pass for every layer after the KV append; acts on its own layer only.
    /// `queryOffset` locates the step's last token's query in the qkv buffer. Returns the
    /// launch's report (nil on the other layers).
    @discardableResult
    func record(layer n: Int, kernels: KernelLibrary, query: GPUBuffer, queryOffset: Int, cache: KVCacheLayer,
                sinks: GPUBuffer, heads all: Int, position: Int) throws -> KernelReport? {
        guard n == layer else { return nil }
        let args = AttentionProbeArgs(query: query, queryOffset: queryOffset, cache: cache, sinks: sinks, heads: all,
                                      probeHeads: heads, position: position, columns: columns, output: weights)
        let launch = try kernels.attentionProbe(args)
        positions = args.columnPositions
        return launch
    }

    /// The last recorded weights as a telemetry payload (nil before the first step).
    func summary() throws -> AttentionSummary? {
        guard !positions.isEmpty else { return nil }
        let values = try weights.readFloats(count: heads * positions.count)
        return AttentionSummary(layer: layer, heads: heads, positions: positions, weights: values)
    }
}

extension GPTOSSModel {
    /// Turns the attention probe on (with these options) or off (nil). While on, every step
    /// records the weights of its last token at the chosen layer; `attentionSummary()` reads them.
    public func traceAttention(_ options: AttentionProbeOptions?) throws {
        guard let options else { attentionProbe = nil; return }
        attentionProbe = try AttentionProbe(options: options, config: config, context: kernels.context)
    }

    /// The attention of the last step's last token at the traced layer, read back from the GPU
    /// (heads × columns floats); nil when not traced or nothing ran since.
    public func attentionSummary() throws -> AttentionSummary? {
        try attentionProbe?.summary()
    }
}
