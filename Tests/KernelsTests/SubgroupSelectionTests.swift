import Foundation
import GLES
import XCTest
@testable import Kernels

/// When the row-reduction kernels get SUBGROUPS = 1 (KernelTuning+Subgroups.swift): only where a
/// row group is exactly one subgroup with arithmetic in compute shaders, and `useSubgroups` is on.
final class SubgroupSelectionTests: XCTestCase {
    /// A probed subgroup description, built the way the probe's JSON (`gptoss-gl probe`) has it.
    private func subgroups(size: Int, stages: [String] = ["compute"], features: [String] = ["basic", "arithmetic"]) throws -> SubgroupSupport {
        let json: [String: Any] = ["size": size, "stages": stages, "features": features, "quadOperationsInAllStages": false]
        return try JSONDecoder().decode(SubgroupSupport.self, from: JSONSerialization.data(withJSONObject: json))
    }

    func testNoSubgroupSupportMeansTheSharedMemoryReduction() {
        XCTAssertEqual(KernelTuning.portable.subgroupReduction(on: nil), 0)
        XCTAssertEqual(KernelTuning.wide.subgroupReduction(on: nil), 0)
        XCTAssertFalse(KernelTuning.rowGroupIsSubgroup(nil, threadsPerRow: 32, workgroup: 128))
    }

    func testWarpSizedRowGroupsWithComputeArithmeticUseSubgroups() throws {
        let nvidia = try subgroups(size: 32, features: ["basic", "vote", "arithmetic", "ballot", "shuffle"])
        let wide = KernelTuning.wide
        XCTAssertEqual(wide.moeGateUpShape, RowReductionShape(workgroup: 128, threadsPerRow: 32), "wide gives an expert row one warp")
        XCTAssertEqual(wide.subgroupReduction(on: nvidia, shape: wide.moeGateUpShape), 1)
        XCTAssertEqual(wide.subgroupReduction(on: nvidia, shape: wide.moeDownShape), 1)
        XCTAssertEqual(wide.linear.threadsPerRow, 64, "a decode linear row has two warps")
        XCTAssertEqual(wide.subgroupReduction(on: nvidia), 0, "two warps a row: the shared-memory reduction")
        XCTAssertTrue(KernelTuning.rowGroupIsSubgroup(nvidia, threadsPerRow: 32, workgroup: 64))
    }

    func testEveryConditionIsNeeded() throws {
        let wide = KernelTuning.wide
        let moe = wide.moeDownShape
        XCTAssertEqual(wide.subgroupReduction(on: try subgroups(size: 32, stages: ["vertex", "fragment"]), shape: moe), 0, "not in compute")
        XCTAssertEqual(wide.subgroupReduction(on: try subgroups(size: 32, features: ["basic", "ballot"]), shape: moe), 0, "no arithmetic")
        XCTAssertEqual(wide.subgroupReduction(on: try subgroups(size: 64), shape: moe), 0, "subgroup wider than a row")
        XCTAssertEqual(wide.subgroupReduction(on: try subgroups(size: 64)), 1, "64-wide subgroups fit wide's linear rows")
        XCTAssertEqual(KernelTuning.portable.subgroupReduction(on: try subgroups(size: 32)), 0, "16 threads a row, not 32")
        XCTAssertEqual(KernelTuning.portable.subgroupReduction(on: try subgroups(size: 16)), 1, "16-wide subgroups fit portable rows")
        XCTAssertFalse(KernelTuning.rowGroupIsSubgroup(try subgroups(size: 32), threadsPerRow: 32, workgroup: 48), "workgroup not whole subgroups")
        XCTAssertFalse(KernelTuning.rowGroupIsSubgroup(try subgroups(size: 0), threadsPerRow: 0, workgroup: 64), "no size reported")
        var off = wide
        off.useSubgroups = false
        XCTAssertEqual(off.subgroupReduction(on: try subgroups(size: 32), shape: moe), 0, "switched off")
    }

    func testTheSwitchIsSetThroughGPTOSSGLTUNE() throws {
        XCTAssertTrue(KernelTuning.wide.useSubgroups, "on by default where the device allows it")
        XCTAssertFalse(try KernelTuning.wide.overridden(by: "useSubgroups=0").useSubgroups)
        XCTAssertTrue(try KernelTuning.portable.overridden(by: "useSubgroups=0,useSubgroups=true").useSubgroups)
        XCTAssertFalse(try KernelTuning.wide.overridden(by: "prefillRegisterRows=0").prefillAttention.registerRows)
        XCTAssertThrowsError(try KernelTuning.wide.overridden(by: "useSubgroups=2")) { error in
            XCTAssertEqual(error as? KernelsError, .invalidArgument(kernel: "GPTOSS_GL_TUNE",
                                                                   message: "useSubgroups is a switch: 0|1 (or false|true), got '2'"))
        }
        XCTAssertThrowsError(try KernelTuning.wide.overridden(by: "linearWorkgroup=0"), "sizes stay positive") { error in
            XCTAssertEqual(error as? KernelsError, .invalidArgument(kernel: "GPTOSS_GL_TUNE",
                                                                   message: "linearWorkgroup takes a positive integer, got '0'"))
        }
        let overrides = try KernelTuningOverrides(parsing: "useSubgroups=0")
        XCTAssertFalse(KernelTuning.forLimits(GPU.context.limits, overrides: overrides).useSubgroups)
    }

    /// The per-slot MoE sizes are optionals: a size, or `linear` for the linear kernels' own.
    func testOptionalSizesTakeLinearToInherit() throws {
        XCTAssertEqual(KernelTuning.wide.moe.workgroup, 128)
        let inherited = try KernelTuning.wide.overridden(by: "moeWorkgroup=linear,moeDownThreadsPerRow=linear")
        XCTAssertNil(inherited.moe.workgroup)
        XCTAssertEqual(inherited.moeDownShape, inherited.linearShape)
        XCTAssertThrowsError(try KernelTuning.wide.overridden(by: "moeWorkgroup=0")) { error in
            XCTAssertEqual(error as? KernelsError, .invalidArgument(kernel: "GPTOSS_GL_TUNE",
                message: "moeWorkgroup takes a positive integer or 'linear' (the linear kernels' size), got '0'"))
        }
    }

    /// The compiled program's name says which reduction ran, so profiles tell the variants apart;
    /// on a device without subgroups (llvmpipe) the decode runs the shared-memory path.
    func testProgramNamesShowTheReduction() throws {
        let kernels = try GPU.library()
        let expected = kernels.tuning.subgroupReduction(on: GPU.context.limits.subgroups)
        if GPU.context.limits.subgroups == nil { XCTAssertEqual(expected, 0) }
        var rng = SeededRNG(test: "subgroup names")
        let (raw, _) = try rng.tensor(.q8_0, rows: 8, cols: 64)
        let weights = try GPUWeights(context: GPU.context, packed: try PackedWeights.repack(raw: raw, format: .q8_0, rows: 8, cols: 64), label: "w")
        let x = try GPU.buffer(rng.floats(4 * 64), "x")
        let decode = try kernels.linear(LinearArgs(weights: weights, bias: nil, input: x, output: try GPU.zeros(8, "y"), tokens: 1))
        XCTAssertTrue(decode.program.contains("SUBGROUPS=\(expected)"), decode.program)
        let batch = try kernels.linear(LinearArgs(weights: weights, bias: nil, input: x, output: try GPU.zeros(32, "y4"), tokens: 4))
        XCTAssertTrue(batch.program.contains("SUBGROUPS=0") || batch.kernel == .linearTiled, batch.program)
    }
}
