import Foundation

/// A byte-level BPE tokenizer (GPT-2 style, o200k pre-tokenizer), built from the three arrays a
/// GGUF file carries: token strings, merges ("left right", in rank order) and token types.
///
/// `encode` treats its input as ordinary text: a user typing "<|start|>" gets the seven ordinary
/// tokens of that text, never the control token. Control tokens are looked up by name
/// (`tokenID(named:)`) and emitted only by whoever builds a prompt on purpose (the Harmony renderer).
public final class BPETokenizer: @unchecked Sendable {
    /// Number of token ids (including control and reserved tokens).
    public let vocabularySize: Int

    private let merger: BytePairMerger
    private let tokenBytes: [UInt8]          // every token's bytes, back to back
    private let tokenByteStart: [Int]        // per id, plus the end
    private let types: [TokenType]
    private let specialIDs: [String: Int]    // control and user-defined tokens by their text

    /// Builds the tokenizer; `tokenTypes` may be empty (then every token is normal).
    public init(tokens: [String], merges: [String], tokenTypes: [Int32]) throws {
        guard !tokens.isEmpty else { throw TokenizerError.inconsistentVocabulary("the token list is empty") }
        guard tokenTypes.isEmpty || tokenTypes.count == tokens.count else {
            throw TokenizerError.inconsistentVocabulary(
                "\(tokens.count) tokens but \(tokenTypes.count) token types")
        }
        vocabularySize = tokens.count
        var types = [TokenType](repeating: .normal, count: tokens.count)
        var table = ByteStringTable(capacity: tokens.count)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(tokens.count * 8)
        var starts: [Int] = []
        starts.reserveCapacity(tokens.count + 1)
        var specials: [String: Int] = [:]
        for (id, token) in tokens.enumerated() {
            let type = tokenTypes.isEmpty ? .normal : (TokenType(rawValue: tokenTypes[id]) ?? .normal)
            types[id] = type
            starts.append(bytes.count)
            switch type {
            case .normal:
                let mark = bytes.count
                guard ByteLevelAlphabet.decode(token, appendingTo: &bytes) else {
                    throw TokenizerError.notByteLevel(tokenID: id, token: token)
                }
                bytes.withUnsafeBufferPointer { all in
                    _ = table.insert(UnsafeBufferPointer(rebasing: all[mark...]), value: Int32(id))
                }
            case .control, .userDefined, .unknown:
                bytes.append(contentsOf: token.utf8)
                specials[token] = specials[token] ?? id
            case .unused, .byte:
                bytes.append(contentsOf: token.utf8)
            }
        }
        starts.append(bytes.count)
        for byte in 0..<256 where [UInt8(byte)].withUnsafeBufferPointer({ table.lookup($0.baseAddress!, 1) }) == nil {
            throw TokenizerError.inconsistentVocabulary(
                "byte 0x\(String(byte, radix: 16)) has no token, so some text could not be encoded")
        }

        var mergeRank = [UInt32](repeating: BytePairMerger.noRank, count: tokens.count)
        var scratch: [UInt8] = []
        for (index, merge) in merges.enumerated() {
            var merge = merge
            scratch.removeAll(keepingCapacity: true)
            // Byte-level tokens never contain a space (it is spelled 'Ġ'), so the one space splits.
            let split: Int? = merge.withUTF8 { utf8 in
                guard let space = utf8.firstIndex(of: 0x20),
                      utf8[(space + 1)...].firstIndex(of: 0x20) == nil,
                      ByteLevelAlphabet.decode(utf8: UnsafeBufferPointer(rebasing: utf8[..<space]), appendingTo: &scratch)
                else { return nil }
                let split = scratch.count
                guard ByteLevelAlphabet.decode(utf8: UnsafeBufferPointer(rebasing: utf8[(space + 1)...]), appendingTo: &scratch)
                else { return nil }
                return split
            }
            guard let split, split > 0, split < scratch.count else {
                throw TokenizerError.badMerge(index: index, merge: merge,
                                              reason: "expected two byte-level tokens separated by one space")
            }
            let found = scratch.withUnsafeBufferPointer { buffer -> (Int32?, Int32?, Int32?) in
                let base = buffer.baseAddress!
                return (table.lookup(base, split), table.lookup(base + split, buffer.count - split),
                        table.lookup(base, buffer.count))
            }
            guard found.0 != nil, found.1 != nil else {
                throw TokenizerError.badMerge(index: index, merge: merge, reason: "one side is not in the token list")
            }
            guard let result = found.2 else {
                throw TokenizerError.badMerge(index: index, merge: merge, reason: "the joined token is not in the token list")
            }
            if mergeRank[Int(result)] == BytePairMerger.noRank { mergeRank[Int(result)] = UInt32(index) }
        }
        merger = BytePairMerger(vocabulary: table, mergeRank: mergeRank)
        tokenBytes = bytes
        tokenByteStart = starts
        self.types = types
        specialIDs = specials
    }

    // MARK: - Encoding

    /// The token ids of `text` as ordinary text (tiktoken's `encode_ordinary`).
    public func encode(_ text: String) -> [Int] {
        var text = text
        return text.withUTF8 { encode(utf8: $0) }
    }

    /// The token ids of UTF-8 bytes as ordinary text.
    public func encode(utf8: UnsafeBufferPointer<UInt8>) -> [Int] {
        guard utf8.count > 0 else { return [] }
        var ids: [Int] = []
        ids.reserveCapacity(utf8.count / 3)
        let base = utf8.baseAddress!
        var scratch = BytePairMerger.Scratch()
        for piece in O200kPreTokenizer.pieces(of: utf8) {
            if let whole = merger.vocabulary.lookup(base + piece.lowerBound, piece.count) {
                ids.append(Int(whole))
            } else {
                merger.encode(UnsafeBufferPointer(rebasing: utf8[piece]), into: &ids, scratch: &scratch)
            }
        }
        return ids
    }

    /// The pre-tokenizer's pieces of `text` (for inspection and tests).
    public func preTokenize(_ text: String) -> [String] {
        var text = text
        return text.withUTF8 { buffer in
            O200kPreTokenizer.pieces(of: buffer).map { String(decoding: buffer[$0], as: UTF8.self) }
        }
    }

    // MARK: - Decoding

    /// The bytes token `id` stands for: its text for control tokens, nil outside the vocabulary.
    public func bytes(of id: Int) -> ArraySlice<UInt8>? {
        guard id >= 0, id < vocabularySize else { return nil }
        return tokenBytes[tokenByteStart[id]..<tokenByteStart[id + 1]]
    }

    /// The bytes of a token sequence.
    public func decodeBytes(_ ids: [Int]) throws -> [UInt8] {
        var out: [UInt8] = []
        for id in ids {
            guard let piece = bytes(of: id) else {
                throw TokenizerError.tokenOutOfRange(id: id, vocabularySize: vocabularySize)
            }
            out.append(contentsOf: piece)
        }
        return out
    }

    /// The text of a token sequence; bytes that do not form valid UTF-8 become U+FFFD.
    public func decode(_ ids: [Int]) throws -> String {
        String(decoding: try decodeBytes(ids), as: UTF8.self)
    }

    /// The merger, for tests that compare its two algorithms.
    var mergerForTesting: BytePairMerger { merger }

    // MARK: - Special tokens

    /// The id of a control (or user-defined) token by its text, e.g. "<|start|>".
    public func tokenID(named name: String) -> Int? { specialIDs[name] }

    /// Like `tokenID(named:)`, but a missing token is an error that says which one.
    public func requireTokenID(named name: String) throws -> Int {
        guard let id = specialIDs[name] else { throw TokenizerError.missingSpecialToken(name) }
        return id
    }

    /// The GGUF token type of `id` (normal for ids outside the vocabulary's type list).
    public func tokenType(of id: Int) -> TokenType {
        id >= 0 && id < types.count ? types[id] : .normal
    }

    /// True for control tokens (and the other non-text kinds): they never come from `encode`.
    public func isControl(_ id: Int) -> Bool {
        let type = tokenType(of: id)
        return type != .normal && type != .byte
    }
}
