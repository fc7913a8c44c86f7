/// Proposes the next tokens of a sequence for the target model to verify in one step.
public protocol Drafter: AnyObject {
    /// Up to `count` tokens likely to follow `tokens` (prompt and output so far), each with the
    /// distribution it was drawn from. Fewer (or none) when it has no good guess.
    func propose(after tokens: [Int], count: Int) throws -> [(token: Int, distribution: SpeculativeSampling.Distribution)]
    /// The target accepted `accepted` of the last proposal: forget the rest.
    func accepted(_ accepted: Int, of proposed: Int) throws
}

/// Prompt lookup: find the latest earlier place where the last n tokens occurred (n from
/// `maxMatch` down to `minMatch`) and propose what followed it there. No second model; it wins
/// when the output repeats the prompt or itself (edits of code, quotes, lists).
public final class NGramDrafter: Drafter {
    public let maxMatch: Int
    public let minMatch: Int

    public init(maxMatch: Int = 3, minMatch: Int = 1) {
        self.maxMatch = max(1, maxMatch)
        self.minMatch = max(1, min(minMatch, maxMatch))
    }

    public func propose(after tokens: [Int], count: Int) -> [(token: Int, distribution: SpeculativeSampling.Distribution)] {
        guard count > 0 else { return [] }
        for n in stride(from: min(maxMatch, tokens.count - 1), through: minMatch, by: -1) {
            let suffix = tokens[(tokens.count - n)...]
            // The latest earlier occurrence whose continuation is known.
            var start = tokens.count - n - 1
            while start >= 0 {
                if tokens[start ..< start + n].elementsEqual(suffix) {
                    let from = start + n
                    let continuation = tokens[from ..< min(tokens.count, from + count)]
                    return continuation.map { ($0, [($0, 1.0)]) }
                }
                start -= 1
            }
        }
        return []
    }

    public func accepted(_ accepted: Int, of proposed: Int) {}
}
