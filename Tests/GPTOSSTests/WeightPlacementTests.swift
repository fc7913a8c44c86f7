import XCTest
import GGUF
import GLES
import Kernels
@testable import GPTOSS

/// The streaming placement (prefetch thread, parallel repack into mapped buffers) puts exactly
/// the bytes of the simple path on the GPU: each tensor read whole, `PackedWeights.repack`,
/// fused with `concatenatingRows` / `fusedGateUp`.
final class WeightPlacementTests: XCTestCase {
    func context() throws -> GLContext { try SharedGPU.kernels().context }

    func assertHolds(_ weights: GPUWeights, _ packed: PackedWeights, _ what: String) throws {
        XCTAssertEqual(weights.rows, packed.rows, what)
        for chunk in weights.chunks {
            let slice = packed.rows(chunk.rowStart ..< chunk.rowStart + chunk.rowCount)
            XCTAssertEqual(try chunk.data.readUInt32s(), slice.data, "\(what) data")
            if packed.scaleWordsPerRow > 0 { XCTAssertEqual(try chunk.scales.readUInt32s(), slice.scales, "\(what) scales") }
        }
    }

    func testPlacedWeightsAreTheSimplyRepackedBytes() throws {
        for flavour in Fixture.flavours {
            let file = try ModelFile(location: try Fixture("tiny-c").modelPath(flavour))
            let weights = try GPUModelWeights(model: file, context: context())
            XCTAssertEqual(weights.loadTimings.unplannedReads, 0, "every tensor came from the prefetcher")
            func packed(_ name: String) throws -> PackedWeights {
                let info = try file.info(name)
                let cols = Int(info.dimensions[0])
                return try PackedWeights.repack(raw: file.file.tensorData(info), format: WeightFormat(ggml: info.type)!,
                                                rows: Int(info.elementCount) / cols, cols: cols, tensor: name)
            }
            try assertHolds(weights.tokenEmbedding, packed("token_embd.weight"), "\(flavour) token_embd")
            try assertHolds(weights.output, packed("output.weight"), "\(flavour) output")
            for (n, layer) in weights.layers.enumerated() {
                let b = "blk.\(n)."
                guard case .fused(let qkv, _) = layer.qkv else { return XCTFail("\(flavour): Q, K, V share a type") }
                try assertHolds(qkv, .concatenatingRows([packed(b + "attn_q.weight"), packed(b + "attn_k.weight"),
                                                         packed(b + "attn_v.weight")]), "\(flavour) \(b)qkv")
                try assertHolds(layer.attentionOutput, packed(b + "attn_output.weight"), "\(flavour) \(b)attn_output")
                try assertHolds(layer.router, packed(b + "ffn_gate_inp.weight"), "\(flavour) \(b)router")
                try assertHolds(layer.gateUp.weights, .fusedGateUp(gate: packed(b + "ffn_gate_exps.weight"), up: packed(b + "ffn_up_exps.weight"),
                                                                   experts: file.config.expertCount), "\(flavour) \(b)gate_up")
                try assertHolds(layer.down.weights, packed(b + "ffn_down_exps.weight"), "\(flavour) \(b)down")
                XCTAssertEqual(try layer.sinks.readFloats(),
                               try GGMLBlocks.dequantize(raw: file.file.tensorData(file.info(b + "attn_sinks.weight")),
                                                         format: WeightFormat(ggml: file.info(b + "attn_sinks.weight").type)!,
                                                         rows: 1, cols: file.config.headCount))
            }
        }
    }

    /// A tensor asked for out of the planned order is still read correctly (on the placing thread).
    func testOutOfOrderTakeReadsDirectly() throws {
        let file = try ModelFile(location: try Fixture("tiny-a").modelPath("q8_0"))
        let infos = GPUModelWeights.placementOrder(file.config).compactMap { file.file.tensor(named: $0) }
        let prefetcher = TensorPrefetcher(file: file.file, plan: infos, aheadBytes: 1)
        prefetcher.start()
        defer { prefetcher.cancel() }
        let later = try prefetcher.take("output.weight")
        XCTAssertEqual(Array(later.bytes), try file.file.tensorData(file.info("output.weight")))
        XCTAssertEqual(prefetcher.unplannedReads, 1)
        let first = try prefetcher.take(infos[0].name)
        XCTAssertEqual(Array(first.bytes), try file.file.tensorData(infos[0]))
        XCTAssertEqual(prefetcher.unplannedReads, 1)
    }
}
