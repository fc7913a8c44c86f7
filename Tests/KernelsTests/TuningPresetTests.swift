import XCTest
@testable import Kernels

/// `GPTOSS_GL_TUNE=preset=…`: how the card runs the portable tuning that CI also runs (the
/// greedy-output comparison of BENCHMARKS.md), with later items still applied on top.
final class TuningPresetTests: XCTestCase {
    func testAPresetReplacesTheWholeTuning() throws {
        XCTAssertEqual(try KernelTuning.wide.overridden(by: "preset=portable"), .portable)
        XCTAssertEqual(try KernelTuning.portable.overridden(by: "preset=wide"), .wide)
    }

    /// CPU renderers get `cpu` (portable with two threads a row), whatever their limits; GPUs
    /// get `wide` where they allow it, else `portable`; `preset=cpu` names it.
    func testTheDeviceChoosesItsPreset() throws {
        var limits = GPU.context.limits
        limits.renderer = "llvmpipe (LLVM 15.0.6, 256 bits)"
        limits.maxComputeWorkGroupInvocations = 1024
        limits.maxComputeSharedMemorySize = 48 * 1024
        XCTAssertEqual(KernelTuning.forLimits(limits), .cpu)
        limits.renderer = "NVIDIA H100 80GB HBM3/PCIe/SSE2"
        XCTAssertEqual(KernelTuning.forLimits(limits), .wide)
        limits.maxComputeSharedMemorySize = 32 * 1024
        XCTAssertEqual(KernelTuning.forLimits(limits), .portable)
        var expected = KernelTuning.portable
        expected.linear.threadsPerRow = 2
        XCTAssertEqual(KernelTuning.cpu, expected)
        XCTAssertEqual(try KernelTuning.wide.overridden(by: "preset=cpu"), .cpu)
        XCTAssertEqual(try GPU.library().tuning, KernelTuning.forLimits(GPU.context.limits), "a library without a tuning takes the device's")
    }

    func testItemsAfterAPresetApplyAndItemsBeforeItDoNot() throws {
        let tuned = try KernelTuning.wide.overridden(by: "linearWorkgroup=512,preset=portable,useSubgroups=0")
        var expected = KernelTuning.portable
        expected.useSubgroups = false
        XCTAssertEqual(tuned, expected)
    }

    func testAnUnknownPresetIsAnErrorNamingTheKnownOnes() {
        XCTAssertThrowsError(try KernelTuningOverrides(parsing: "preset=fast")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("cpu or portable or wide") && text.contains("fast"), text)
        }
        XCTAssertTrue(KernelTuningOverrides.names.contains("preset"))
    }
}
