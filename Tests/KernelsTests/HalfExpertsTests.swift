import Foundation
import GLES
import XCTest
@testable import Kernels

/// The packed-f16 MXFP4 path (lib/fp4_half.wesl, f16_moe_*): llvmpipe has no 16-bit arithmetic,
/// so its kernels run only on the card (scripts/check_fixtures.py, BENCHMARKS.md); here its bit
/// tricks and its precision are checked through the CPU twin (CPUReference+HalfMXFP4.swift), and
/// the choice between it and the f32 kernels through the probed limits.
final class HalfExpertsTests: XCTestCase {
    /// Every nibble of every byte lands on the f16 whose value is its E2M1 value × 2^-14.
    func testNibblePairsAreE2M1TimesTwoToTheMinus14() {
        for byte in 0 ..< 256 {
            for shift in [UInt32(0), 4] {
                // The byte in lane 0 and (other values) in lanes 1-3: only lane 0's halves are read.
                let w = UInt32(byte) | 0x5a3c_9100
                let (h02, _) = CPUReference.fp4HalfPairs(w, shift: shift)
                let code = (byte >> Int(shift)) & 0xf
                let expected = GGMLBlocks.mxfp4Table[code] / 2 * 0x1p-14
                XCTAssertEqual(Float(Float16(bitPattern: UInt16(h02 & 0xffff))), expected, "byte \(byte) shift \(shift)")
            }
        }
        // The pairs take bytes (0, 2) and (1, 3); the shift picks the low or high nibbles.
        func values(_ w: UInt32) -> [Float] {
            [Float(Float16(bitPattern: UInt16(w & 0xffff))), Float(Float16(bitPattern: UInt16(w >> 16)))].map { $0 * 0x1p14 }
        }
        let low = CPUReference.fp4HalfPairs(0xc3a2_f951, shift: 0), high = CPUReference.fp4HalfPairs(0xc3a2_f951, shift: 4)
        XCTAssertEqual(values(low.0), [0.5, 1], "low nibbles of bytes 0 and 2: codes 1 and 2")
        XCTAssertEqual(values(low.1), [-0.5, 1.5], "low nibbles of bytes 1 and 3: codes 9 and 3")
        XCTAssertEqual(values(high.0), [3, -1], "high nibbles of bytes 0 and 2: codes 5 and 0xa")
        XCTAssertEqual(values(high.1), [-6, -2], "high nibbles of bytes 1 and 3: codes 0xf and 0xc")
    }

    /// A row of 2880 columns (a gpt-oss expert row) of random MXFP4 against float64 over the same
    /// weights: the f16 path's error stays near f16's rounding of the products (≈ 2^-11 of
    /// their root-sum-square), also with outlier activations; a mistake in the pairing or the
    /// scales would be of the order of the result itself.
    func testRowDotsStayWithinHalfPrecision() throws {
        var rng = SeededRNG(test: "half.rowdots")
        let cols = 2880
        for trial in 0 ..< 40 {
            let (bytes, weights) = try rng.tensor(.mxfp4, rows: 1, cols: cols)
            var x = rng.floats(cols, scale: 2)
            if trial % 4 == 0 { for i in stride(from: 7, to: cols, by: 97) { x[i] *= 300 } }
            let exact = zip(weights, x).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let rss = zip(weights, x).reduce(0.0) { $0 + pow(Double($1.0) * Double($1.1), 2) }.squareRoot()
            let half = Double(CPUReference.halfMXFP4Dot(rowBytes: bytes, x: x))
            XCTAssertLessThanOrEqual(abs(half - exact), 4 * 0x1p-11 * rss, "trial \(trial): \(half) against \(exact)")
        }
    }

    /// Staged activations keep |x| up to 4000 finite (65504 / 16) and small ones out of f16's
    /// flush: the range lib/fp4_half.wesl promises.
    func testStagingRange() {
        let big = CPUReference.stageHalfPairs(lo: [4000, -4000, 1e-3, 0], hi: [0, 0, 0, 0])
        XCTAssertEqual(Float(Float16(bitPattern: UInt16(big[0] & 0xffff))), 64000)
        XCTAssertEqual(Float(Float16(bitPattern: UInt16(big[1] & 0xffff))), -64000)
        XCTAssertEqual(Float(Float16(bitPattern: UInt16(big[0] >> 16))), 0.016, accuracy: 1e-5)
    }

    // MARK: - Which kernels a device gets

    private func limits(float16Extensions: [String], sharedMemory: Int = 48 * 1024) throws -> GPULimits {
        var limits = GPU.context.limits
        limits.float16.arithmetic = !float16Extensions.isEmpty
        limits.float16.extensions = float16Extensions
        limits.maxComputeSharedMemorySize = sharedMemory
        limits.maxComputeWorkGroupInvocations = 1024
        return limits
    }

    /// `wide` with the opt-in switch on (`GPTOSS_GL_TUNE=moeHalfArithmetic=1`).
    private var halfOn: KernelTuning {
        var t = KernelTuning.wide
        t.moe.halfArithmetic = true
        return t
    }

    func testTheF16KernelsAreChosenOnlyWhereTheyCompileAndFit() throws {
        let nvidia = try limits(float16Extensions: ["GL_NV_gpu_shader5"])
        let plan = HalfExpertsPlan.make(tuning: halfOn, limits: nvidia, format: .mxfp4, cols: 2880, slots: 4, reductionFloats: 1)
        XCTAssertEqual(plan, HalfExpertsPlan(shape: RowReductionShape(workgroup: 256, threadsPerRow: 32), blocks: 90))
        let ext = try limits(float16Extensions: ["GL_EXT_shader_explicit_arithmetic_types_float16"])
        XCTAssertNotNil(HalfExpertsPlan.make(tuning: halfOn, limits: ext, format: .mxfp4, cols: 2880, slots: 1, reductionFloats: 2))

        XCTAssertNil(HalfExpertsPlan.make(tuning: halfOn, limits: nvidia, format: .q8_0, cols: 2880, slots: 1, reductionFloats: 2), "MXFP4 only")
        for tuning in [KernelTuning.wide, .portable] {
            XCTAssertNil(HalfExpertsPlan.make(tuning: tuning, limits: nvidia, format: .mxfp4, cols: 2880, slots: 1, reductionFloats: 2),
                         "opt-in: no tuning turns it on by default (its logits miss the fixtures' bound)")
        }
        let amd = try limits(float16Extensions: ["GL_AMD_gpu_shader_half_float"])
        XCTAssertNil(HalfExpertsPlan.make(tuning: halfOn, limits: amd, format: .mxfp4, cols: 2880, slots: 1, reductionFloats: 2),
                     "an f16 extension the translated GLSL does not name")
        let small = try limits(float16Extensions: ["GL_NV_gpu_shader5"], sharedMemory: 16 * 1024)
        XCTAssertNil(HalfExpertsPlan.make(tuning: halfOn, limits: small, format: .mxfp4, cols: 2880, slots: 4, reductionFloats: 1),
                     "four staged rows of 2880 need 23 KiB")
    }

    /// This machine's renderer (llvmpipe: no 16-bit arithmetic) runs the f32 kernels even with
    /// the switch on, and says so in the report.
    func testTheRendererWithoutF16KeepsTheF32Kernels() throws {
        let context = GPU.context
        XCTAssertFalse(context.limits.float16.extensions.contains(where: HalfExpertsPlan.extensions.contains),
                       "this test expects a renderer without f16 arithmetic")
        let kernels = try GPU.library(tuning: halfOn)
        var rng = SeededRNG(test: "half.fallback")
        let (raw, _) = try rng.tensor(.mxfp4, rows: 2 * 2 * 32, cols: 64)
        let packed = try PackedWeights.repack(raw: raw, format: .mxfp4, rows: 2 * 2 * 32, cols: 64)
        let experts = try GPUExperts(context: context, packed: packed, experts: 2, label: "gu")
        let report = try kernels.moeGateUp(MoEGateUpArgs(experts: experts, bias: nil, input: try GPU.buffer(rng.floats(64), "x"),
                                                          ids: try GPU.buffer(ids: [1], "ids"), k: 1, tokens: 1,
                                                          output: try GPU.zeros(32, "out")))
        XCTAssertEqual(report.kernel, .moeGateUp)
    }
}
