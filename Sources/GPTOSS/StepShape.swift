import Kernels

/// Which positions of a step need logits.
public enum LogitRows: Sendable {
    /// None (a prefill chunk before the last).
    case none
    /// Only the last token's of each sequence (generation).
    case last
    /// Every token's (the `logits` command, speculative verification, tests).
    case all
}

/// One sequence's share of a forward step: `tokens` new tokens at positions `position0 …`, in
/// the step's rows `firstRow ..< firstRow + tokens`, with keys and values in its own `cache`.
public struct StepSequence {
    public let cache: KVCache
    public let position0: Int
    public let tokens: Int
    public let firstRow: Int

    /// Positions this share's last token sees (its own included).
    var lastPosition: Int { position0 + tokens - 1 }
}

/// What one forward step holds: the rows of several sequences, stacked.
///
/// Rows are laid out sequence after sequence. Only the first sequence may bring more than one
/// token (a prefill chunk or a speculative verification): the tiled prefill attention writes its
/// output from row 0, and with that rule the last rows of all sequences are contiguous (rows
/// `firstTokens − 1 …`), so the output head reads them in place.
public struct StepShape {
    public let sequences: [StepSequence]
    public let logits: LogitRows
    /// Intermediates a dump wants: a wanted tensor must exist in memory, so it turns off the
    /// fusion that would skip it.
    public let wanted: Set<Intermediate>

    public var rows: Int { sequences.reduce(0) { $0 + $1.tokens } }

    /// A step of one sequence (the single-stream commands).
    public init(cache: KVCache, tokens: Int, logits: LogitRows, wanted: Set<Intermediate> = []) {
        self.init(parts: [(cache, tokens)], logits: logits, wanted: wanted)
    }

    /// A step of several sequences, each continuing at its cache's length.
    public init(parts: [(cache: KVCache, tokens: Int)], logits: LogitRows, wanted: Set<Intermediate> = []) {
        var row = 0
        sequences = parts.map { part in
            defer { row += part.tokens }
            return StepSequence(cache: part.cache, position0: part.cache.length, tokens: part.tokens, firstRow: row)
        }
        self.logits = logits
        self.wanted = wanted
    }

    /// One token of one sequence: the matrix × vector decode step with every fusion.
    var isSingleTokenDecode: Bool { sequences.count == 1 && sequences[0].tokens == 1 }

    /// Checks the layout rules above and the scratch capacity.
    func validate(batch: Int) throws {
        guard !sequences.isEmpty, sequences.allSatisfy({ $0.tokens > 0 }) else {
            throw GPTOSSError.badSequence("a step needs at least one token in every sequence")
        }
        guard sequences.dropFirst().allSatisfy({ $0.tokens == 1 }) else {
            throw GPTOSSError.badSequence("only the first sequence of a step may bring more than one token")
        }
        guard rows <= batch else {
            throw GPTOSSError.badSequence("a step of \(rows) rows exceeds the scratch of \(batch) rows. Hint: pass a larger --batch.")
        }
        guard Set(sequences.map { ObjectIdentifier($0.cache) }).count == sequences.count else {
            throw GPTOSSError.badSequence("a sequence appears twice in one step")
        }
    }

    /// The output head's rows: where they start and how many.
    var headRows: (first: Int, count: Int)? {
        switch logits {
        case .none: return nil
        case .all: return (0, rows)
        case .last: return (sequences[0].tokens - 1, sequences.count)
        }
    }
}
