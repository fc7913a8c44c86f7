import GLES
import XCTest
@testable import Kernels

/// The attention output projection + residual + router of one decoded token in one launch
/// (f32_out_router_decode.wgsl) against the CPU: residual += W·attn + b, then RMSNorm, router
/// logits and the top-k softmax of the updated row.
final class OutRouterDecodeTests: XCTestCase {
    /// Every weight format of the projection; 20b's router (32 experts) and 120b's (128) on
    /// a 2880-wide row, a small odd case; with and without biases. Several launches in a row
    /// on one library also check that the finished-workgroup counter is reset each time.
    func testFusedProjectionAndRouterMatchTheCPU() throws {
        var rng = SeededRNG(test: "out-router")
        for kernels in [try GPU.library(), try GPU.library(tuning: .wide)] {
            try checkFused(kernels, &rng)
        }
    }

    private func checkFused(_ kernels: KernelLibrary, _ rng: inout SeededRNG) throws {
        let cases: [(format: WeightFormat, hidden: Int, width: Int, experts: Int, k: Int, bias: Bool)] = [
            (.q8_0, 2880, 256, 32, 4, true), (.mxfp4, 2880, 256, 128, 4, true), (.f32, 224, 96, 6, 3, false),
            (.f16, 64, 64, 32, 4, true), (.bf16, 128, 32, 8, 2, false), (.q8_0, 2880, 256, 32, 4, true),
        ]
        for c in cases {
            let label = "\(c.format) hidden=\(c.hidden) E=\(c.experts) WG=\(kernels.tuning.linear.workgroup)"
            let (rawW, projection) = try rng.tensor(c.format, rows: c.hidden, cols: c.width, scale: 0.2)
            let (rawR, router) = try rng.tensor(.f32, rows: c.experts, cols: c.hidden, scale: 0.2)
            let gpuProjection = try GPUWeights(context: GPU.context, packed: try PackedWeights.repack(raw: rawW, format: c.format,
                                                                                                       rows: c.hidden, cols: c.width), label: "wo")
            let gpuRouter = try GPUWeights(context: GPU.context, packed: try PackedWeights.repack(raw: rawR, format: .f32,
                                                                                                   rows: c.experts, cols: c.hidden), label: "router")
            XCTAssertNotNil(kernels.outRouterDecodeWorkgroup(projection: gpuProjection, router: gpuRouter, k: c.k), label)
            let attention = rng.floats(c.width), residual = rng.floats(c.hidden, scale: 2), norm = rng.floats(c.hidden)
            let projectionBias = c.bias ? rng.floats(c.hidden) : nil, routerBias = c.bias ? rng.floats(c.experts) : nil
            let residualBuffer = try GPU.buffer(residual, "residual")
            let normed = try GPU.zeros(c.hidden, "normed"), ids = try GPU.zeros(c.k, "ids"), weights = try GPU.zeros(c.k, "w")
            try kernels.outRouterDecode(OutRouterDecodeArgs(projection: gpuProjection, projectionBias: try projectionBias.map { try GPU.buffer($0, "bo") },
                input: try GPU.buffer(attention, "attn"), residual: residualBuffer,
                router: RouterDecodeArgs(input: residualBuffer, norm: try GPU.buffer(norm, "norm"), eps: 1e-5, router: gpuRouter,
                                         bias: try routerBias.map { try GPU.buffer($0, "br") }, k: c.k, normed: normed, ids: ids, weights: weights)))

            let projected = CPUReference.linear(weights: projection, bias: projectionBias, x: attention, rows: c.hidden, cols: c.width, tokens: 1)
            let updated = zip(residual, projected).map { $0 + $1 }
            let h = CPUReference.rmsNorm(updated, weight: norm, tokens: 1, eps: 1e-5)
            let logits = CPUReference.linear(weights: router, bias: routerBias, x: h, rows: c.experts, cols: c.hidden, tokens: 1)
            let expected = CPUReference.topKSoftmax(logits, experts: c.experts, k: c.k)
            assertClose(try GPU.read(residualBuffer, c.hidden), updated, relative: 1e-5, "residual \(label)")
            assertClose(try GPU.read(normed, c.hidden), h, relative: 1e-5, "normed \(label)")
            XCTAssertEqual(try ids.readUInt32s(count: c.k).map(Int.init), expected.ids, "ids \(label)")
            assertClose(try GPU.read(weights, c.k), expected.weights, relative: 1e-4, "weights \(label)")
        }
    }

    /// Off (`fuseOutputRouter=0`), or with a router the fused router cannot take, it is not
    /// offered and asking for it is a clear error.
    func testNotOfferedWhereItCannotRun() throws {
        var rng = SeededRNG(test: "out-router-refuse")
        let (rawW, _) = try rng.tensor(.q8_0, rows: 64, cols: 64)
        let projection = try GPUWeights(context: GPU.context, packed: try PackedWeights.repack(raw: rawW, format: .q8_0, rows: 64, cols: 64), label: "wo")
        let (rawR, _) = try rng.tensor(.q8_0, rows: 32, cols: 64)
        let quantisedRouter = try GPUWeights(context: GPU.context, packed: try PackedWeights.repack(raw: rawR, format: .q8_0, rows: 32, cols: 64),
                                             label: "router.q8")
        let (rawF, _) = try rng.tensor(.f32, rows: 32, cols: 64)
        let router = try GPUWeights(context: GPU.context, packed: try PackedWeights.repack(raw: rawF, format: .f32, rows: 32, cols: 64), label: "router")
        let kernels = try GPU.library()
        XCTAssertNotNil(kernels.outRouterDecodeWorkgroup(projection: projection, router: router, k: 4))
        XCTAssertNil(kernels.outRouterDecodeWorkgroup(projection: projection, router: quantisedRouter, k: 4))
        let off = try GPU.library(tuning: try kernels.tuning.overridden(by: "fuseOutputRouter=0"))
        XCTAssertNil(off.outRouterDecodeWorkgroup(projection: projection, router: router, k: 4))
        let one = try GPU.zeros(64, "one")
        XCTAssertThrowsError(try off.outRouterDecode(OutRouterDecodeArgs(projection: projection, projectionBias: nil, input: one, residual: one,
            router: RouterDecodeArgs(input: one, norm: one, eps: 1e-5, router: router, bias: nil, k: 4, normed: try GPU.zeros(64, "n"),
                                     ids: try GPU.zeros(4, "i"), weights: try GPU.zeros(4, "w"))))) { error in
            XCTAssertEqual(error as? KernelsError, .invalidArgument(kernel: "f32_out_router_decode", message: "projection 'wo' (q8_0, 64×64, 1 binding(s)) with router 'router' (f32, 32×64) does not fit the fused kernel; use linear + routerDecode"))
        }
    }
}
