/// How `generate` speculates: which drafter proposes tokens and how many a step.
public struct SpeculationOptions {
    /// Drafted tokens a verification step checks at most (its rows: one more).
    public static let maxDraftTokens = 16

    public let drafter: Drafter
    /// Tokens drafted per step (1 … `maxDraftTokens`); adaptive: see `adaptive`.
    public let draftTokens: Int
    /// Shrink k after steps that accept little, grow it back after steps that accept all.
    public let adaptive: Bool

    public init(drafter: Drafter, draftTokens: Int = 4, adaptive: Bool = true) throws {
        guard (1 ... Self.maxDraftTokens).contains(draftTokens) else {
            throw GPTOSSError.badSamplingParameter("--draft-tokens must be in 1…\(Self.maxDraftTokens), got \(draftTokens)")
        }
        self.drafter = drafter
        self.draftTokens = draftTokens
        self.adaptive = adaptive
    }
}
