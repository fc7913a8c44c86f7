import XCTest
import GGUF
@testable import GPTOSS

/// A file whose tensors disagree with its hyperparameters must fail at load, naming the tensor,
/// the expected and the found shape or type. The bad files are the tiny-a fixture rewritten by the
/// GGUF writer with one tensor changed.
final class TensorTableTests: XCTestCase {
    /// Copies tiny-a-f32 to a temporary file, letting `change` replace one tensor's entry.
    func rewrittenFixture(
        _ change: (_ name: String, _ dims: [UInt64], _ type: GGMLType, _ data: [UInt8]) -> ([UInt64], GGMLType, [UInt8])?
    ) throws -> String {
        let source = try GGUFFile.open(try Fixture("tiny-a").modelPath("f32"))
        let writer = try GGUFWriter()
        for key in source.metadataKeys { writer.set(key, source.metadata[key]!) }
        for info in source.tensors {
            let data = try source.tensorData(info)
            let (dims, type, bytes) = change(info.name, info.dimensions, info.type, data) ?? (info.dimensions, info.type, data)
            try writer.addTensor(name: info.name, dimensions: dims, type: type, data: bytes)
        }
        let path = NSTemporaryDirectory() + "gptoss-table-\(UUID().uuidString).gguf"
        try writer.write(to: path)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testFixtureFilesPassTheTable() throws {
        for model in Fixture.models {
            for flavour in Fixture.flavours {
                XCTAssertNoThrow(try ModelFile(location: try Fixture(model).modelPath(flavour)), "\(model) \(flavour)")
            }
        }
    }

    func testWrongShapeNamesTensorExpectedAndFound() throws {
        // blk.1.attn_k.weight is [64, 32] (hidden 64 → 2 KV heads × 16); store it as [32, 64].
        let path = try rewrittenFixture { name, dims, type, data in
            name == "blk.1.attn_k.weight" ? ([dims[1], dims[0]], type, data) : nil
        }
        XCTAssertThrowsError(try ModelFile(location: path)) { error in
            XCTAssertEqual(error as? GPTOSSError,
                           .wrongTensorShape(name: "blk.1.attn_k.weight", expected: [64, 32], found: [32, 64]))
            let message = error.localizedDescription
            XCTAssertTrue(message.contains("blk.1.attn_k.weight") && message.contains("[64, 32]") && message.contains("[32, 64]"),
                          message)
        }
    }

    func testUnsupportedTypeIsNamed() throws {
        // Q4_0 is a valid ggml type that no kernel here reads: 18 bytes per 32 values.
        let path = try rewrittenFixture { name, dims, _, _ in
            guard name == "blk.0.attn_q.weight" else { return nil }
            let blocks = Int(dims[0] * dims[1]) / 32
            return (dims, .q4_0, [UInt8](repeating: 0, count: blocks * 18))
        }
        XCTAssertThrowsError(try ModelFile(location: path)) { error in
            XCTAssertEqual(error as? GPTOSSError, .unsupportedTensorType(
                name: "blk.0.attn_q.weight", found: "Q4_0", supported: ["F32", "F16", "BF16", "Q8_0", "MXFP4"]))
        }
    }

    func testSinksOfAnotherHeadCountAreNamed() throws {
        let path = try rewrittenFixture { name, _, _, _ in
            name == "blk.1.attn_sinks.weight" ? ([3], .f32, [UInt8](repeating: 0, count: 12)) : nil
        }
        XCTAssertThrowsError(try ModelFile(location: path)) { error in
            XCTAssertEqual(error as? GPTOSSError, .wrongTensorShape(name: "blk.1.attn_sinks.weight", expected: [4], found: [3]))
        }
    }
}
