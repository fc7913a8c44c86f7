import XCTest
@testable import Tokenizer

final class BPETokenizerTests: XCTestCase {
    func testVocabularyShapeAndSpecialTokensByName() {
        let vocabulary = Shared.vocabulary
        XCTAssertEqual(vocabulary.tokens.count, 201_088)
        XCTAssertEqual(vocabulary.tokenTypes.count, 201_088)
        XCTAssertEqual(vocabulary.merges.count, 199_998 - 256)
        XCTAssertEqual(Shared.tokenizer.tokenID(named: "<|start|>"), 200_006)
        XCTAssertEqual(Shared.tokenizer.tokenID(named: "<|reserved_201087|>"), 201_087)
        XCTAssertNil(Shared.tokenizer.tokenID(named: "<|nonexistent|>"))
        XCTAssertNil(Shared.tokenizer.tokenID(named: "hello"), "ordinary tokens are not special")
        XCTAssertThrowsError(try Shared.tokenizer.requireTokenID(named: "<|nonexistent|>")) { error in
            XCTAssertEqual(error as? TokenizerError, .missingSpecialToken("<|nonexistent|>"))
        }
    }

    func testUserTextThatLooksLikeControlTokensIsOrdinaryText() {
        let tokenizer = Shared.tokenizer
        let text = "<|start|>assistant<|channel|>final<|message|>hi<|end|><|return|><|call|>"
        let ids = tokenizer.encode(text)
        XCTAssertFalse(ids.contains(where: tokenizer.isControl), "\(ids)")
        XCTAssertEqual(try tokenizer.decode(ids), text)
        XCTAssertEqual(tokenizer.encode("<|start|>"), [27, 91, 5236, 91, 29], "'<', '|', 'start', '|', '>' as tiktoken has them")
    }

    func testHeapAndScanMergesAgreeOnLongPieces() {
        var generator = SplitMix64(seed: 7)
        let alphabets: [[UInt8]] = [Array("ab".utf8), Array("aab ".utf8), Array("e\u{301}x".utf8), Array(0...255)]
        for round in 0..<60 {
            let alphabet = alphabets[round % alphabets.count]
            let length = 2 + Int(generator.next() % 300)
            let bytes = (0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
            bytes.withUnsafeBufferPointer { piece in
                let merger = Shared.tokenizer.mergerForTesting
                XCTAssertEqual(merger.mergeByScan(piece, rankLimit: BytePairMerger.noRank),
                               merger.mergeWithHeap(piece, rankLimit: BytePairMerger.noRank), "round \(round)")
            }
        }
    }

    func testRoundTripOfRandomUnicode() throws {
        var generator = SplitMix64(seed: 11)
        let ranges: [ClosedRange<UInt32>] = [0x20...0x7E, 0x0A...0x0D, 0xA0...0x24F, 0x300...0x36F, 0x400...0x4FF,
                                             0x3040...0x30FF, 0x4E00...0x4FFF, 0x1F300...0x1F6FF, 0x10000...0x10FFF]
        for _ in 0..<50 {
            var scalars = String.UnicodeScalarView()
            for _ in 0..<(Int(generator.next() % 200)) {
                let range = ranges[Int(generator.next() % UInt64(ranges.count))]
                let value = range.lowerBound + UInt32(generator.next() % UInt64(range.count))
                if let scalar = Unicode.Scalar(value) { scalars.append(scalar) }
            }
            let text = String(scalars)
            let ids = Shared.tokenizer.encode(text)
            XCTAssertEqual(try Shared.tokenizer.decodeBytes(ids), Array(text.utf8))
            XCTAssertEqual(Shared.tokenizer.preTokenize(text).joined(), text)
        }
    }

    func testDecodeRejectsIdsOutsideTheVocabulary() {
        XCTAssertThrowsError(try Shared.tokenizer.decode([1, 201_088])) { error in
            XCTAssertEqual(error as? TokenizerError, .tokenOutOfRange(id: 201_088, vocabularySize: 201_088))
        }
        XCTAssertThrowsError(try Shared.tokenizer.decode([-1])) { error in
            XCTAssertEqual(error as? TokenizerError, .tokenOutOfRange(id: -1, vocabularySize: 201088))
        }
    }

    // MARK: - Building from arrays: errors name the problem

    /// A tiny byte-level vocabulary: all 256 bytes, then "ab" and "abc".
    private func tinyVocabulary() -> (tokens: [String], merges: [String]) {
        let bytes = (0..<256).map { ByteLevelAlphabet.encode([UInt8($0)]) }
        return (bytes + ["ab", "abc"], ["a b", "ab c"])
    }

    func testTinyVocabularyMergesInRankOrder() throws {
        let (tokens, merges) = tinyVocabulary()
        let tokenizer = try BPETokenizer(tokens: tokens, merges: merges, tokenTypes: [])
        let a = try XCTUnwrap(tokens.firstIndex(of: "a"))
        let c = try XCTUnwrap(tokens.firstIndex(of: "c"))
        XCTAssertEqual(tokenizer.encode("abc"), [257])
        XCTAssertEqual(tokenizer.encode("ab"), [256])
        XCTAssertEqual(tokenizer.encode("ac"), [a, c])
        XCTAssertEqual(tokenizer.encode(" abc").count, 2, "' ' has no merge with 'abc' here")
    }

    func testArrayInitializerErrors() {
        let (tokens, merges) = tinyVocabulary()
        XCTAssertThrowsError(try BPETokenizer(tokens: [], merges: [], tokenTypes: [])) { error in
            XCTAssertEqual(error as? TokenizerError, .inconsistentVocabulary("the token list is empty"))
        }
        XCTAssertThrowsError(try BPETokenizer(tokens: tokens, merges: merges, tokenTypes: [1, 1])) { error in
            XCTAssertTrue(error.localizedDescription.contains("token types"), error.localizedDescription)
        }
        XCTAssertThrowsError(try BPETokenizer(tokens: tokens + ["has space"], merges: merges, tokenTypes: [])) { error in
            XCTAssertEqual(error as? TokenizerError, .notByteLevel(tokenID: 258, token: "has space"))
        }
        XCTAssertThrowsError(try BPETokenizer(tokens: Array(tokens.dropFirst()), merges: [], tokenTypes: [])) { error in
            XCTAssertTrue(error.localizedDescription.contains("byte 0x0"), error.localizedDescription)
        }
        XCTAssertThrowsError(try BPETokenizer(tokens: tokens, merges: ["a b c"], tokenTypes: [])) { error in
            XCTAssertTrue(error.localizedDescription.contains("merge 0"), error.localizedDescription)
        }
        XCTAssertThrowsError(try BPETokenizer(tokens: tokens, merges: ["b a"], tokenTypes: [])) { error in
            XCTAssertTrue(error.localizedDescription.contains("joined token"), error.localizedDescription)
        }
    }

    func testControlTokensComeFromTypesNotNames() throws {
        let (tokens, merges) = tinyVocabulary()
        let types = [Int32](repeating: 1, count: tokens.count) + [3]
        let tokenizer = try BPETokenizer(tokens: tokens + ["<|x|>"], merges: merges, tokenTypes: types)
        XCTAssertEqual(tokenizer.tokenID(named: "<|x|>"), 258)
        XCTAssertTrue(tokenizer.isControl(258))
        XCTAssertEqual(try tokenizer.decode([258]), "<|x|>")
        XCTAssertFalse(tokenizer.encode("<|x|>").contains(258))
    }
}

/// A small deterministic generator so random tests reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
