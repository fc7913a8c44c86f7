import Foundation

/// The o200k_harmony vocabulary in the form GGUF stores it, built from tiktoken's
/// `o200k_base.tiktoken` ranks file plus the Harmony special tokens.
///
/// tiktoken files hold only ranks (byte string → rank); GGUF wants token strings in GPT-2's byte
/// alphabet, merges "left right" in rank order, and token types. Each merge is recovered the usual
/// way: run BPE on the token's own bytes allowing only lower ranks; the two parts left are its merge.
public struct O200kVocabulary: Sendable {
    /// Token strings, index = id: 199998 byte-level tokens, then the 1090 special tokens.
    public let tokens: [String]
    /// "left right" for every multi-byte token, in rank order (199 742: every rank but the 256 single bytes).
    public let merges: [String]
    /// `TokenType` raw values per id: 1 normal, 3 control.
    public let tokenTypes: [Int32]

    /// Total vocabulary size of o200k_harmony.
    public static let size = 201_088
    /// Ranks in `o200k_base.tiktoken`; ids from here on are special.
    public static let baseSize = 199_998
    /// The named special tokens of o200k_harmony; every other id in baseSize..<size is
    /// `<|reserved_N|>`. 200018 is `<|endofprompt|>` as in gpt-oss's Hugging Face tokenizer (and
    /// so its GGUF files): tiktoken's o200k_harmony maps both that name and `<|reserved_200018|>`
    /// to it.
    public static let namedSpecialTokens: [Int: String] = [
        199_998: "<|startoftext|>", 199_999: "<|endoftext|>",
        200_002: "<|return|>", 200_003: "<|constrain|>", 200_005: "<|channel|>",
        200_006: "<|start|>", 200_007: "<|end|>", 200_008: "<|message|>",
        200_012: "<|call|>", 200_018: "<|endofprompt|>",
    ]

    /// The GGUF `tokenizer.ggml.model` and `tokenizer.ggml.pre` values for this vocabulary.
    public static let ggufModel = "gpt2"
    public static let ggufPreTokenizer = "gpt-4o"

    /// Builds the vocabulary from a tiktoken ranks file.
    public init(ranksFile path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TokenizerError.assetNotFound("tiktoken ranks file '\(path)'")
        }
        let ranked = try Self.parseRanks(data, path: path)
        guard ranked.count == Self.baseSize else {
            throw TokenizerError.badRanksFile(path: path, line: ranked.count,
                                              reason: "expected \(Self.baseSize) ranks, found \(ranked.count)")
        }
        var tokens = ranked.map { ByteLevelAlphabet.encode($0) }
        var types = [Int32](repeating: TokenType.normal.rawValue, count: Self.size)
        for id in Self.baseSize..<Self.size {
            tokens.append(Self.namedSpecialTokens[id] ?? "<|reserved_\(id)|>")
            types[id] = TokenType.control.rawValue
        }
        self.tokens = tokens
        self.tokenTypes = types
        self.merges = try Self.recoverMerges(ranked, path: path)
    }

    /// The vocabulary from the copy of o200k_base.tiktoken bundled in Assets/tokenizer.
    /// `home`: the checkout, when the binary runs elsewhere (GPTOSS_GL_HOME).
    public static func bundled(home: String? = nil) throws -> O200kVocabulary {
        try O200kVocabulary(ranksFile: RepositoryAssets.o200kRanksFile(home: home))
    }

    /// A tokenizer over this vocabulary.
    public func makeTokenizer() throws -> BPETokenizer {
        try BPETokenizer(tokens: tokens, merges: merges, tokenTypes: tokenTypes)
    }

    // MARK: - Parsing

    /// "base64 rank" lines; ranks must be 0, 1, 2, … in order (they are in every tiktoken file).
    private static func parseRanks(_ data: Data, path: String) throws -> [[UInt8]] {
        var result: [[UInt8]] = []
        result.reserveCapacity(baseSize)
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            var lineStart = 0
            var lineNumber = 0
            while lineStart < bytes.count {
                var lineEnd = lineStart
                while lineEnd < bytes.count && bytes[lineEnd] != 0x0A { lineEnd += 1 }
                lineNumber += 1
                if lineEnd > lineStart {
                    let line = UnsafeBufferPointer(rebasing: bytes[lineStart..<lineEnd])
                    guard let space = line.firstIndex(of: 0x20) else {
                        throw TokenizerError.badRanksFile(path: path, line: lineNumber, reason: "no space between token and rank")
                    }
                    guard let token = Base64.decode(UnsafeBufferPointer(rebasing: line[..<space])) else {
                        throw TokenizerError.badRanksFile(path: path, line: lineNumber, reason: "token is not valid base64")
                    }
                    var rank = 0
                    var digits = 0
                    for byte in line[(space + 1)...] where byte != 0x0D {
                        guard (0x30...0x39).contains(byte), digits < 10 else { rank = -1; break }
                        rank = rank * 10 + Int(byte - 0x30)
                        digits += 1
                    }
                    guard digits > 0, rank == result.count else {
                        let rankText = String(decoding: UnsafeBufferPointer(rebasing: line[(space + 1)...]), as: UTF8.self)
                        throw TokenizerError.badRanksFile(path: path, line: lineNumber,
                                                          reason: "rank '\(rankText)' is not the expected \(result.count)")
                    }
                    result.append(token)
                }
                lineStart = lineEnd + 1
            }
        }
        return result
    }

    /// For each multi-byte token, in rank order, the two tokens that BPE restricted to lower
    /// ranks leaves when run on its bytes.
    private static func recoverMerges(_ ranked: [[UInt8]], path: String) throws -> [String] {
        var table = ByteStringTable(capacity: ranked.count)
        for (rank, bytes) in ranked.enumerated() { table.insert(bytes, value: Int32(rank)) }
        let merger = BytePairMerger(vocabulary: table, mergeRank: (0..<UInt32(ranked.count)).map { $0 })
        var merges: [String] = []
        merges.reserveCapacity(ranked.count)
        var scratch = BytePairMerger.Scratch()
        for (rank, bytes) in ranked.enumerated() where bytes.count > 1 {
            bytes.withUnsafeBufferPointer { merger.partBoundaries($0, rankLimit: UInt32(rank), scratch: &scratch) }
            let bounds = scratch.starts
            guard bounds.count == 3 else {
                throw TokenizerError.badRanksFile(path: path, line: rank + 1,
                                                  reason: "token is not the join of two lower-ranked tokens, so no merge describes it")
            }
            let split = bounds[1]
            merges.append(ByteLevelAlphabet.encode(bytes[..<split]) + " " + ByteLevelAlphabet.encode(bytes[split...]))
        }
        return merges
    }
}

/// A small base64 decoder: Foundation's would allocate a Data per line of a 200k-line file.
enum Base64 {
    private static let values: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(c)] = Int8(i)
        }
        return table
    }()

    static func decode(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        var padding = 0
        for c in text {
            if c == UInt8(ascii: "=") { padding += 1; continue }
            guard padding == 0 else { return nil }
            let v = values[Int(c)]
            guard v >= 0 else { return nil }
            accumulator = (accumulator << 6) | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        guard (text.count % 4 == 0), padding <= 2 else { return nil }
        return out
    }
}
