import XCTest
import GGUF
@testable import GPTOSS

/// Metadata that contradicts the tensors is refused at load with the key named, before anything
/// is sized by it. The files are the tiny-a fixture rewritten with one key or tensor changed.
final class ModelFileConsistencyTests: XCTestCase {
    /// tiny-a-f32 rewritten: `metadata` replaces or adds keys, `extra` adds tensors after the rest.
    func rewritten(metadata: [String: GGUFValue] = [:], extra: [(String, [UInt64])] = []) throws -> String {
        let source = try GGUFFile.open(try Fixture("tiny-a").modelPath("f32"))
        let writer = try GGUFWriter()
        for key in source.metadataKeys { writer.set(key, metadata[key] ?? source.metadata[key]!) }
        for (key, value) in metadata where source.metadata[key] == nil { writer.set(key, value) }
        for info in source.tensors {
            try writer.addTensor(name: info.name, dimensions: info.dimensions, type: info.type, data: try source.tensorData(info))
        }
        for (name, dims) in extra {
            try writer.addTensor(name: name, dimensions: dims, type: .f32, data: [UInt8](repeating: 0, count: Int(dims.reduce(4, *))))
        }
        let path = NSTemporaryDirectory() + "gptoss-consistency-\(UUID().uuidString).gguf"
        try writer.write(to: path)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func assertBadMetadata(_ path: String, key: String, mentions: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try ModelFile(location: path), file: file, line: line) { error in
            guard case .badMetadata(let named, let problem)? = error as? GPTOSSError else {
                return XCTFail("not badMetadata: \(error)", file: file, line: line)
            }
            XCTAssertEqual(named, key, problem, file: file, line: line)
            for word in mentions { XCTAssertTrue(problem.contains(word), "\(problem) lacks \(word)", file: file, line: line) }
        }
    }

    func testUnchangedFixtureLoads() throws {
        XCTAssertEqual(try ModelFile(location: try rewritten()).config.blockCount, 2)
    }

    func testTensorOfALayerPastBlockCountIsRefused() throws {
        // block_count 1 while the file holds layers 0 and 1.
        assertBadMetadata(try rewritten(metadata: ["gpt-oss.block_count": .uint32(1)]), key: "gpt-oss.block_count",
                          mentions: ["is 1", "blk.1.", "layer 1"])
        // A stray tensor of layer 7 in a two-layer model.
        assertBadMetadata(try rewritten(extra: [("blk.7.attn_norm.weight", [64])]), key: "gpt-oss.block_count",
                          mentions: ["blk.7.attn_norm.weight", "layer 7"])
    }

    func testHugeBlockCountIsRefusedBeforeTheTableIsBuilt() throws {
        let path = try rewritten(metadata: ["gpt-oss.block_count": .uint32(1 << 31)])
        let started = Date()
        assertBadMetadata(path, key: "gpt-oss.block_count", mentions: ["2147483648", "at most 2 layers"])
        XCTAssertLessThan(Date().timeIntervalSince(started), 5, "refused at once, nothing sized by the count")
    }

    func testVocabularyThatDisagreesWithTheEmbeddingIsRefused() throws {
        let tokens = (0..<10).map { "t\($0)" }
        assertBadMetadata(try rewritten(metadata: ["tokenizer.ggml.tokens": .array(GGUFArray(.string(tokens)))]),
                          key: "tokenizer.ggml.tokens", mentions: ["10 tokens", "320 rows"])
    }

    func testLayerIndexParsing() {
        XCTAssertEqual(TensorTable.layerIndex(of: "blk.12.attn_q.weight"), 12)
        XCTAssertEqual(TensorTable.layerIndex(of: "blk.99999999999999999999999.x"), Int.max)
        XCTAssertNil(TensorTable.layerIndex(of: "blk..x"))
        XCTAssertNil(TensorTable.layerIndex(of: "blk.-1.x"))
        XCTAssertNil(TensorTable.layerIndex(of: "token_embd.weight"))
    }

    func testTensorsPerLayerMatchesTheTable() throws {
        let config = try ModelFile(location: try rewritten()).config
        let table = TensorTable(config: config)
        XCTAssertEqual(table.entries.filter { $0.name.hasPrefix("blk.0.") }.count, TensorTable.tensorsPerLayer)
    }
}
