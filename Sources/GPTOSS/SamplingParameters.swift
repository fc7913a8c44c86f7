/// How the next token is chosen. Temperature 0 is greedy (argmax), which is what the tests use.
public struct SamplingParameters: Sendable, Equatable {
    /// 0 = greedy; otherwise logits are divided by it before the softmax.
    public var temperature: Double
    /// Keep only the k most likely tokens (0 = no limit beyond `SamplingParameters.maxCandidates`).
    public var topK: Int
    /// Keep the smallest set of most likely tokens whose probability reaches p (1 = off).
    public var topP: Double
    /// Seeds the random draw, so a run can be repeated token for token.
    public var seed: UInt64

    /// The GPU reduces the vocabulary to at most this many candidates; the draw happens among them.
    /// Tokens past the 64th most likely carry negligible mass at any useful temperature.
    public static let maxCandidates = 64

    public static let greedy = SamplingParameters(temperature: 0, topK: 0, topP: 1, seed: 0)

    public init(temperature: Double = 0, topK: Int = 0, topP: Double = 1, seed: UInt64 = 0) {
        self.temperature = temperature; self.topK = topK; self.topP = topP; self.seed = seed
    }

    public var isGreedy: Bool { temperature == 0 || topK == 1 }

    /// How many candidates the GPU must keep for these parameters.
    public var candidateCount: Int {
        isGreedy ? 1 : (topK > 0 ? min(topK, Self.maxCandidates) : Self.maxCandidates)
    }

    public func validate() throws {
        guard temperature >= 0, temperature.isFinite else {
            throw GPTOSSError.badSamplingParameter("--temperature must be ≥ 0 (0 = greedy), got \(temperature)")
        }
        guard topK >= 0 else { throw GPTOSSError.badSamplingParameter("--top-k must be ≥ 0 (0 = off), got \(topK)") }
        guard topP > 0, topP <= 1 else {
            throw GPTOSSError.badSamplingParameter("--top-p must be in (0, 1] (1 = off), got \(topP)")
        }
    }
}

/// SplitMix64: a tiny, well-mixed generator, so a seed gives the same draws on every platform.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
