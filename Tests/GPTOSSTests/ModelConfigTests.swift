import XCTest
import GGUF
@testable import GPTOSS

/// Metadata given as a plain dictionary, for configs without a file.
struct DictionaryMetadata: ModelMetadata {
    var values: [String: Any]
    func integerValue(_ key: String) -> Int? { values[key] as? Int }
    func realValue(_ key: String) -> Double? { (values[key] as? Double) ?? (values[key] as? Int).map(Double.init) }
    func stringValue(_ key: String) -> String? { values[key] as? String }
}

final class ModelConfigTests: XCTestCase {
    static let gptOss20b: [String: Any] = [
        "general.architecture": "gpt-oss",
        "gpt-oss.block_count": 24, "gpt-oss.context_length": 131072, "gpt-oss.embedding_length": 2880,
        "gpt-oss.feed_forward_length": 2880, "gpt-oss.attention.head_count": 64, "gpt-oss.attention.head_count_kv": 8,
        "gpt-oss.rope.freq_base": 150000.0, "gpt-oss.attention.layer_norm_rms_epsilon": 1e-5,
        "gpt-oss.expert_count": 32, "gpt-oss.expert_used_count": 4, "gpt-oss.attention.key_length": 64,
        "gpt-oss.attention.value_length": 64, "gpt-oss.attention.sliding_window": 128,
        "gpt-oss.expert_feed_forward_length": 2880, "gpt-oss.rope.scaling.type": "yarn",
        "gpt-oss.rope.scaling.factor": 32.0, "gpt-oss.rope.scaling.original_context_length": 4096,
    ]

    func testReads20bMetadataWithDefaultsForAbsentKeys() throws {
        let c = try ModelConfig(metadata: DictionaryMetadata(values: Self.gptOss20b), vocabularySize: 201088)
        XCTAssertEqual(c.blockCount, 24)
        XCTAssertEqual(c.qWidth, 4096)
        XCTAssertEqual(c.kvWidth, 512)
        XCTAssertEqual(c.queryGroupSize, 8)
        XCTAssertEqual(c.yarnBetaFast, 32)
        XCTAssertEqual(c.yarnBetaSlow, 1)
        XCTAssertEqual(c.ropeDimensionCount, 64)
        XCTAssertTrue(c.usesYaRN)
        XCTAssertTrue(c.isSlidingLayer(0))
        XCTAssertFalse(c.isSlidingLayer(1))
        XCTAssertEqual(c.swigluLimit, 7)
    }

    func testOptionalKeysAreHonouredWhenPresent() throws {
        var values = Self.gptOss20b
        values["gpt-oss.rope.scaling.yarn_beta_fast"] = 16.0
        values["gpt-oss.rope.scaling.yarn_beta_slow"] = 2.0
        let c = try ModelConfig(metadata: DictionaryMetadata(values: values), vocabularySize: 100)
        XCTAssertEqual(c.yarnBetaFast, 16)
        XCTAssertEqual(c.yarnBetaSlow, 2)
    }

    func testJSONUsesTheFileKeys() throws {
        let c = try ModelConfig(metadata: DictionaryMetadata(values: Self.gptOss20b), vocabularySize: 201088)
        let json = String(decoding: try JSONEncoder().encode(c), as: UTF8.self)
        XCTAssertTrue(json.contains("\"attention.head_count_kv\":8"), json)
        XCTAssertEqual(try JSONDecoder().decode(ModelConfig.self, from: Data(json.utf8)), c)
    }

    func testWrongArchitectureAndMissingKeysAreNamed() {
        var values = Self.gptOss20b
        values["general.architecture"] = "llama"
        XCTAssertThrowsError(try ModelConfig(metadata: DictionaryMetadata(values: values), vocabularySize: 1)) {
            XCTAssertEqual($0 as? GPTOSSError, .wrongArchitecture(found: "llama"))
        }
        values = Self.gptOss20b
        values["gpt-oss.expert_count"] = nil
        XCTAssertThrowsError(try ModelConfig(metadata: DictionaryMetadata(values: values), vocabularySize: 1)) {
            XCTAssertTrue($0.localizedDescription.contains("gpt-oss.expert_count"), $0.localizedDescription)
        }
        values = Self.gptOss20b
        values["gpt-oss.attention.head_count_kv"] = 7
        XCTAssertThrowsError(try ModelConfig(metadata: DictionaryMetadata(values: values), vocabularySize: 1)) {
            XCTAssertTrue($0.localizedDescription.contains("head_count_kv"), $0.localizedDescription)
        }
    }

    /// Each bad value is blamed on its own key, with what was found.
    func testNonFiniteAndOutOfRangeValuesNameTheirKey() {
        let cases: [(String, Any, String)] = [
            ("gpt-oss.rope.freq_base", Double.infinity, "inf"),
            ("gpt-oss.rope.freq_base", Double.nan, "nan"),
            ("gpt-oss.rope.freq_base", 1.0, "above 1"),
            ("gpt-oss.attention.layer_norm_rms_epsilon", Double.nan, "nan"),
            ("gpt-oss.attention.layer_norm_rms_epsilon", 0.0, "positive"),
            ("gpt-oss.rope.scaling.factor", Double.infinity, "finite"),
            ("gpt-oss.rope.scaling.original_context_length", 0, "original"),
            ("gpt-oss.rope.scaling.original_context_length", -4, "-4"),
            ("gpt-oss.context_length", 0, "positive"),
            ("gpt-oss.attention.key_length", 0, "positive"),
            ("gpt-oss.expert_feed_forward_length", -1, "positive"),
            ("gpt-oss.expert_swiglu_limit", Double.nan, "finite"),
            ("gpt-oss.context_length", 1 << 40, "at most"),
            ("gpt-oss.attention.sliding_window", 1 << 40, "wider than the context"),
        ]
        for (key, value, mention) in cases {
            var values = Self.gptOss20b
            values[key] = value
            if key.hasSuffix("key_length") { values["gpt-oss.attention.value_length"] = 0 }
            XCTAssertThrowsError(try ModelConfig(metadata: DictionaryMetadata(values: values), vocabularySize: 1), "\(key) = \(value)") {
                guard case .badMetadata(let named, let problem)? = $0 as? GPTOSSError else { return XCTFail("\($0)") }
                XCTAssertEqual(named, key, "\(key) = \(value): \(problem)")
                XCTAssertTrue(problem.contains(mention), "\(key) = \(value): \(problem)")
            }
        }
    }

    func testHeadWidthsThatOverflowAreRefusedNotTrapped() {
        var values = Self.gptOss20b
        values["gpt-oss.attention.head_count"] = 1 << 33
        values["gpt-oss.attention.head_count_kv"] = 1 << 32
        values["gpt-oss.attention.key_length"] = 1 << 32
        values["gpt-oss.attention.value_length"] = 1 << 32
        XCTAssertThrowsError(try ModelConfig(metadata: DictionaryMetadata(values: values), vocabularySize: 1)) {
            XCTAssertEqual(($0 as? GPTOSSError).flatMap { if case .badMetadata(let key, _) = $0 { return key } else { return nil } },
                           "gpt-oss.attention.key_length", "\($0)")
        }
    }

    func testOriginalContextIsOnlyNeededWithYaRN() throws {
        var values = Self.gptOss20b
        values["gpt-oss.rope.scaling.type"] = nil
        values["gpt-oss.rope.scaling.original_context_length"] = 0
        XCTAssertNoThrow(try ModelConfig(metadata: DictionaryMetadata(values: values), vocabularySize: 1))
    }

    func testArchitectureInErrorsIsEscaped() {
        var values = Self.gptOss20b
        values["general.architecture"] = "x\u{1b}[2J"
        XCTAssertThrowsError(try ModelConfig(metadata: DictionaryMetadata(values: values), vocabularySize: 1)) {
            XCTAssertFalse($0.localizedDescription.contains("\u{1b}"), $0.localizedDescription)
        }
    }

    /// Values printed by transformers 5.24 `ROPE_INIT_FUNCTIONS["yarn"]` for head_dim 16, theta 1e4,
    /// factor 4, original context 64, betas 32/1, truncate false (the clamp of `low` to 0 matters here).
    func testYaRNFrequenciesMatchTransformers() throws {
        var values = Self.gptOss20b
        values["gpt-oss.attention.key_length"] = 16
        values["gpt-oss.attention.value_length"] = 16
        values["gpt-oss.rope.freq_base"] = 10000.0
        values["gpt-oss.rope.scaling.factor"] = 4.0
        values["gpt-oss.rope.scaling.original_context_length"] = 64
        let rope = RotaryEmbedding(config: try ModelConfig(metadata: DictionaryMetadata(values: values), vocabularySize: 1))
        let expected = [1.0, 0.19858352839946747, 0.025595249608159065, 0.007905694656074047,
                        0.0024999999441206455, 0.0007905694656074047, 0.0002500000118743628, 7.905694656074047e-05]
        XCTAssertEqual(rope.inverseFrequencies.count, expected.count)
        // transformers computes them in float32: agree to float precision.
        for (a, b) in zip(rope.inverseFrequencies, expected) { XCTAssertEqual(a, b, accuracy: 1e-6 * b) }
        XCTAssertEqual(rope.attentionScale, 1.138629436111989, accuracy: 1e-12)
    }

    func testPlainRoPEWithoutScaling() throws {
        var values = Self.gptOss20b
        values["gpt-oss.rope.scaling.type"] = nil
        let rope = RotaryEmbedding(config: try ModelConfig(metadata: DictionaryMetadata(values: values), vocabularySize: 1))
        XCTAssertEqual(rope.attentionScale, 1)
        XCTAssertEqual(rope.inverseFrequencies[1], pow(150000, -2.0 / 64), accuracy: 1e-15)
    }

    func testIntermediateNamesRoundTripAndUnknownNamesAreRejected() throws {
        XCTAssertEqual(try Intermediate(name: "blk.3.attn_out", layerCount: 4), .layer(3, .attentionOutput))
        XCTAssertEqual(Intermediate.layer(3, .attentionOutput).description, "blk.3.attn_out")
        XCTAssertEqual(try Intermediate(name: "result_output", layerCount: 1), .logits)
        XCTAssertThrowsError(try Intermediate(name: "blk.4.attn_out", layerCount: 4)) { error in
            guard case .unknownIntermediate(let name, _) = error as? GPTOSSError else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "blk.4.attn_out")
        }
        XCTAssertThrowsError(try Intermediate(name: "blk.0.attn_outt", layerCount: 4)) {
            XCTAssertTrue($0.localizedDescription.contains("blk.0.attn_norm"))
        }
    }
}
