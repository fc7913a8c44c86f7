import GLES
import XCTest
@testable import Kernels

final class RouterDecodeTests: XCTestCase {
    /// The fused decode router against RMSNorm + linear + top-k softmax on the CPU, for the
    /// gpt-oss-20b and -120b expert counts and a small odd one, with and without a bias.
    func testFusedRouterMatchesNormLinearTopK() throws {
        var rng = SeededRNG(test: "router-decode")
        let kernels = try GPU.library()
        for (experts, k, hidden, withBias) in [(32, 4, 2880, true), (128, 4, 512, true), (6, 3, 64, false)] {
            let residual = rng.floats(3 * hidden, scale: 2), row = 2  // the token is row 2 of a batch buffer
            let norm = rng.floats(hidden, scale: 1)
            let (raw, weights) = try rng.tensor(.f32, rows: experts, cols: hidden, scale: 0.2)
            let router = try GPUWeights(context: GPU.context, packed: try PackedWeights.repack(raw: raw, format: .f32, rows: experts, cols: hidden),
                                        label: "router")
            let bias = withBias ? rng.floats(experts) : nil
            XCTAssertNotNil(kernels.routerDecodeWorkgroup(for: router, k: k))
            let normed = try GPU.zeros(hidden, "normed"), ids = try GPU.zeros(k, "ids"), routeWeights = try GPU.zeros(k, "w")
            try kernels.routerDecode(RouterDecodeArgs(input: try GPU.buffer(residual, "x"), inputOffset: row * hidden,
                norm: try GPU.buffer(norm, "norm"), eps: 1e-5, router: router, bias: try bias.map { try GPU.buffer($0, "b") },
                k: k, normed: normed, ids: ids, weights: routeWeights))

            let x = Array(residual[row * hidden ..< (row + 1) * hidden])
            let h = CPUReference.rmsNorm(x, weight: norm, tokens: 1, eps: 1e-5)
            let logits = CPUReference.linear(weights: weights, bias: bias, x: h, rows: experts, cols: hidden, tokens: 1)
            let expected = CPUReference.topKSoftmax(logits, experts: experts, k: k)
            assertClose(try GPU.read(normed, hidden), h, relative: 1e-5, "normed E=\(experts)")
            XCTAssertEqual(try ids.readUInt32s(count: k).map(Int.init), expected.ids, "ids E=\(experts)")
            assertClose(try GPU.read(routeWeights, k), expected.weights, relative: 1e-5, "weights E=\(experts)")
        }
    }

    /// Equal logits go to the lower expert, in rank order, as in the CPU top-k: a zero router
    /// with a bias where four experts tie for the top.
    func testFusedRouterBreaksTiesByLowerExpert() throws {
        let kernels = try GPU.library()
        let experts = 8, hidden = 64, k = 3
        let zeros = [Float](repeating: 0, count: experts * hidden)
        let raw = try GGMLBlocks.encode(zeros, as: .f32)
        let router = try GPUWeights(context: GPU.context, packed: try PackedWeights.repack(raw: raw, format: .f32, rows: experts, cols: hidden),
                                    label: "router.zero")
        let bias: [Float] = [1, 2, 2, 0, 2, 1, 0, 2]
        let ids = try GPU.zeros(k, "ids"), routeWeights = try GPU.zeros(k, "w")
        try kernels.routerDecode(RouterDecodeArgs(input: try GPU.buffer([Float](repeating: 0.5, count: hidden), "x"),
            norm: try GPU.buffer([Float](repeating: 1, count: hidden), "norm"), eps: 1e-5, router: router,
            bias: try GPU.buffer(bias, "b"), k: k, normed: try GPU.zeros(hidden, "n"), ids: ids, weights: routeWeights))
        XCTAssertEqual(try ids.readUInt32s(count: k).map(Int.init), [1, 2, 4])
        XCTAssertEqual(try ids.readUInt32s(count: k).map(Int.init), CPUReference.topKSoftmax(bias, experts: experts, k: k).ids)
        assertClose(try GPU.read(routeWeights, k), [1.0 / 3, 1.0 / 3, 1.0 / 3], relative: 1e-6, "tied weights")
    }

    func testFusedRouterRefusesQuantisedRouter() throws {
        var rng = SeededRNG(test: "router-decode-q8")
        let kernels = try GPU.library()
        let (raw, _) = try rng.tensor(.q8_0, rows: 32, cols: 64, scale: 0.2)
        let router = try GPUWeights(context: GPU.context, packed: try PackedWeights.repack(raw: raw, format: .q8_0, rows: 32, cols: 64),
                                    label: "router.q8")
        XCTAssertNil(kernels.routerDecodeWorkgroup(for: router, k: 4))
        let one = try GPU.zeros(64, "one")
        XCTAssertThrowsError(try kernels.routerDecode(RouterDecodeArgs(input: one, norm: one, eps: 1e-5, router: router, bias: nil,
                                                                       k: 4, normed: try GPU.zeros(64, "n"), ids: try GPU.zeros(4, "i"),
                                                                       weights: try GPU.zeros(4, "w")))) { error in
            XCTAssertEqual(error as? KernelsError, .invalidArgument(kernel: "f32_router_decode", message: "router 'router.q8' (q8_0, 32×64, 1 binding(s), k = 4) does not fit the fused router; use rmsNorm + linear + routerTopK"))
        }
    }
}
