import Foundation

/// RoPE frequencies for GPT-OSS: NEOX pairing (dim i with i + headDim/2) and YaRN scaling with an
/// un-rounded ramp (truncate = false), as docs/gpt-oss.md §5.3 and transformers compute them.
///
/// The GPU kernels take `inverseFrequencies` and `attentionScale` as inputs, so the CPU reference
/// and the GPU agree on this part by construction; the math here is checked against PyTorch through
/// the end-to-end logits.
public struct RotaryEmbedding: Equatable, Sendable {
    /// One inverse frequency per rotated pair j, 0 ≤ j < headDim/2.
    public let inverseFrequencies: [Double]
    /// Multiplies cos and sin: YaRN's concentration 0.1·ln(factor) + 1, or 1 without scaling.
    public let attentionScale: Double

    public init(config: ModelConfig) {
        let dim = config.ropeDimensionCount
        let base = config.ropeFreqBase
        let plain = (0 ..< dim / 2).map { j in 1.0 / pow(base, Double(2 * j) / Double(dim)) }
        guard config.usesYaRN else {
            inverseFrequencies = plain
            attentionScale = 1
            return
        }
        let factor = config.ropeScalingFactor
        // The dimension at which a wavelength completes `rotations` turns over the original context.
        func correctionDim(_ rotations: Double) -> Double {
            Double(dim) * log(Double(config.ropeOriginalContextLength) / (rotations * 2 * Double.pi)) / (2 * log(base))
        }
        let low = max(correctionDim(config.yarnBetaFast), 0)
        var high = min(correctionDim(config.yarnBetaSlow), Double(dim - 1))
        if low == high { high += 0.001 }
        inverseFrequencies = plain.enumerated().map { j, extrapolated in
            let ramp = min(max((Double(j) - low) / (high - low), 0), 1)
            let keepExtrapolated = 1 - ramp
            return (extrapolated / factor) * ramp + extrapolated * keepExtrapolated
        }
        attentionScale = factor > 1 ? 0.1 * log(factor) + 1 : 1
    }

    /// Rotates one head in place at `position`: x[i], x[i + half] form pair i.
    public func rotate(_ head: inout ArraySlice<Float>, position: Int) {
        let half = inverseFrequencies.count
        let start = head.startIndex
        for j in 0 ..< half {
            let angle = Double(position) * inverseFrequencies[j]
            let c = cos(angle) * attentionScale, s = sin(angle) * attentionScale
            let a = Double(head[start + j]), b = Double(head[start + j + half])
            head[start + j] = Float(a * c - b * s)
            head[start + j + half] = Float(b * c + a * s)
        }
    }
}
