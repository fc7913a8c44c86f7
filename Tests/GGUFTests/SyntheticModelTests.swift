import XCTest
@testable import GGUF

/// The synthetic GPT-OSS writer: exact layout, well-formed blocks, reproducible from the seed.
final class SyntheticModelTests: XCTestCase {
    func smallSpec() -> GPTOSSSyntheticSpec {
        var spec = GPTOSSSyntheticSpec.preset(.tiny)
        spec.layers = 2
        spec.vocabularySize = 1000  // the command uses the full vocabulary; the layout is the same
        return spec
    }

    func write(_ spec: GPTOSSSyntheticSpec, seed: UInt64, chunkBytes: Int = 32 << 20) throws -> GGUFFile {
        let dir = try TestFiles.temporaryDirectory(for: self)
        let path = dir.appendingPathComponent("synth.gguf").path
        var writer = SyntheticModelWriter(spec: spec, seed: seed)
        writer.chunkBytes = chunkBytes
        try writer.write(to: path)
        return try GGUFFile.open(path)
    }

    func testLayoutMatchesGPTOSS() throws {
        let spec = GPTOSSSyntheticSpec.preset(.gptOSS20b)
        let tensors = spec.tensors
        XCTAssertEqual(tensors.count, 3 + 24 * 19)
        func find(_ name: String) -> GPTOSSSyntheticSpec.Tensor? { tensors.first { $0.name == name } }
        XCTAssertEqual(find("token_embd.weight")?.dimensions, [2880, 201_088])
        XCTAssertEqual(find("token_embd.weight")?.type, .q8_0)
        XCTAssertEqual(find("output.weight")?.type, .q8_0)
        XCTAssertEqual(find("blk.23.attn_q.weight")?.dimensions, [2880, 4096])
        XCTAssertEqual(find("blk.0.attn_k.weight")?.dimensions, [2880, 512])
        XCTAssertEqual(find("blk.0.attn_output.weight")?.dimensions, [4096, 2880])
        XCTAssertEqual(find("blk.0.attn_sinks.weight")?.dimensions, [64])
        XCTAssertEqual(find("blk.0.ffn_gate_inp.weight")?.dimensions, [2880, 32])
        XCTAssertEqual(find("blk.0.ffn_gate_inp.weight")?.type, .f32)
        XCTAssertEqual(find("blk.5.ffn_down_exps.weight")?.dimensions, [2880, 2880, 32])
        XCTAssertEqual(find("blk.5.ffn_down_exps.weight")?.type, .mxfp4)
        XCTAssertEqual(find("blk.5.ffn_up_exps.bias")?.dimensions, [2880, 32])
        // 20.91 B parameters, ~11.3 GiB in the released file.
        let parameters = tensors.reduce(UInt64(0)) { $0 + $1.dimensions.reduce(1, *) }
        XCTAssertEqual(Double(parameters) / 1e9, 20.91, accuracy: 0.01)
        XCTAssertEqual(Double(spec.dataBytes) / Double(1 << 30), 11.3, accuracy: 0.4)
        XCTAssertEqual(GPTOSSSyntheticSpec.preset(.gptOSS120b).tensors.first { $0.name == "blk.35.ffn_up_exps.weight" }?.dimensions,
                       [2880, 2880, 128])
    }

    func testWrittenFileHasMetadataAndWellFormedBlocks() throws {
        let spec = smallSpec()
        let file = try write(spec, seed: 7)
        XCTAssertEqual(file.string("general.architecture"), "gpt-oss")
        XCTAssertEqual(file.int("gpt-oss.block_count"), 2)
        XCTAssertEqual(file.int("gpt-oss.expert_count"), 4)
        XCTAssertEqual(file.string("gpt-oss.rope.scaling.type"), "yarn")
        XCTAssertEqual(file.float("gpt-oss.rope.freq_base"), 150_000)
        XCTAssertEqual(file.tensors.map(\.name), spec.tensors.map(\.name))
        for tensor in file.tensors {
            let bytes = try file.tensorData(tensor)
            switch tensor.type {
            case .q8_0:
                for block in stride(from: 0, to: bytes.count, by: 34) {
                    let scale = Float(Float16(bitPattern: UInt16(bytes[block]) | UInt16(bytes[block + 1]) << 8))
                    XCTAssertTrue(scale.isFinite && scale > 1e-4 && scale < 1e-2, "\(tensor.name) scale \(scale)")
                    let quants = bytes[block + 2..<block + 34]
                    XCTAssertFalse(quants.allSatisfy { $0 == 0 }, tensor.name)
                    XCTAssertFalse(quants.contains(0x80), "\(tensor.name): -128 is outside ggml's Q8_0 range")
                }
            case .mxfp4:
                for block in stride(from: 0, to: bytes.count, by: 17) {
                    XCTAssertTrue((119...121).contains(bytes[block]), "\(tensor.name) exponent \(bytes[block])")
                    if block < 17 * 4 { XCTAssertFalse(bytes[block + 1..<block + 17].allSatisfy { $0 == 0 }) }
                }
            case .f32:
                let values = bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
                XCTAssertTrue(values.allSatisfy { $0.isFinite && $0 != 0 }, tensor.name)
                if tensor.name.hasSuffix("norm.weight") { XCTAssertTrue(values.allSatisfy { (0.7...1.3).contains($0) }, tensor.name) }
            default:
                XCTFail("unexpected type \(tensor.type) for \(tensor.name)")
            }
        }
    }

    func testSameSeedSameBytesWhateverTheChunking() throws {
        let spec = smallSpec()
        let a = try write(spec, seed: 3)
        let b = try write(spec, seed: 3, chunkBytes: 1 << 20)
        let c = try write(spec, seed: 4)
        let name = "token_embd.weight"
        XCTAssertEqual(try a.tensorData(a.tensor(named: name)!), try b.tensorData(b.tensor(named: name)!))
        XCTAssertNotEqual(try a.tensorData(a.tensor(named: name)!), try c.tensorData(c.tensor(named: name)!))
        let experts = "blk.1.ffn_up_exps.weight"
        XCTAssertEqual(try a.tensorData(a.tensor(named: experts)!), try b.tensorData(b.tensor(named: experts)!))
        XCTAssertNotEqual(try a.tensorData(a.tensor(named: experts)!), try a.tensorData(a.tensor(named: "blk.1.ffn_gate_exps.weight")!))
    }

    func testSpecValidation() {
        var spec = smallSpec()
        spec.headCountKV = 3
        XCTAssertThrowsError(try spec.validate()) { error in
            XCTAssertEqual(error as? GGUFError, .writer(detail: "synthetic GPT-OSS spec: 3 KV heads do not divide 4 query heads"))
        }
        spec = smallSpec()
        spec.embedding = 40
        XCTAssertThrowsError(try spec.validate()) { error in
            XCTAssertEqual(error as? GGUFError, .writer(detail: "synthetic GPT-OSS spec: embedding 40 is not a multiple of 32 (Q8_0/MXFP4 blocks)"))
        }
        XCTAssertNoThrow(try GPTOSSSyntheticSpec.preset(.gptOSS120b).validate())
    }
}
