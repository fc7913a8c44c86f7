import XCTest
import GLES
@testable import Kernels

/// Chained launches (`ChainedLaunch`): launches without a barrier between them, each workgroup
/// waiting on the GPU for the launch before. llvmpipe runs them (StepPlanTests runs the model
/// under the wide tuning, which chains); these check the pieces around them.
final class ChainedLaunchTests: XCTestCase {
    private func chainedLibrary() throws -> KernelLibrary {
        var tuning = KernelTuning.portable
        tuning.chainedLaunches = true
        return try GPU.library(tuning: tuning)
    }

    func testTheProbePassesAndLaunchesChainOnThisDevice() throws {
        let kernels = try chainedLibrary()
        XCTAssertTrue(kernels.chainsLaunches, kernels.chainedLaunchNote ?? "")
        XCTAssertNil(kernels.chainedLaunchNote)
        XCTAssertTrue(kernels.launchOrdering.hasPrefix("chained"), kernels.launchOrdering)
        XCTAssertNil(try kernels.runChainProbe(), "the probe again, on a library that chains")
        XCTAssertFalse(try GPU.library(tuning: .portable).chainsLaunches, "portable keeps its barriers")
    }

    /// The slots a launch waits on, counts into and clears cycle through four, and the first
    /// launch (or one after a barrier) waits for nothing.
    func testStepBlocksCycleThroughTheSlots() throws {
        let chain = try ChainedLaunch(context: GPU.context)
        func step(_ groups: Int) -> [UInt32] {
            chain.next(groups: groups).withUnsafeBytes { Array($0.bindMemory(to: UInt32.self)) }
        }
        XCTAssertEqual(step(7), [4, 0, 1, 3], "wait on nothing, count into 1, clear 3")
        XCTAssertEqual(step(9), [1, 7, 2, 4], "wait for launch 0's 7 workgroups in slot 1")
        XCTAssertEqual(step(2), [2, 9, 3, 1])
        XCTAssertEqual(step(5), [3, 2, 4, 2])
        XCTAssertEqual(step(1), [4, 5, 1, 3], "slot 1 again, cleared by the launch two before")
        chain.settled()
        XCTAssertEqual(step(3)[1], 0, "after a barrier nothing is waited for")
    }

    /// A launch that waits for workgroups that never come gives up (no hang), the error word is
    /// raised, and the check throws and turns chaining off so later launches keep their barriers.
    func testAStalledWaitIsReportedAndChainingStops() throws {
        let kernels = try chainedLibrary()
        let x = try GPU.buffer([Float](repeating: 1, count: 64), "x")
        let weight = try GPU.buffer([Float](repeating: 2, count: 64), "w")
        let y = try GPU.zeros(64, "y")
        try kernels.rmsNorm(RMSNormArgs(input: x, weight: weight, output: y, width: 64, tokens: 1, eps: 0))
        // The next launch now waits for a million workgroups of the last one.
        _ = kernels.chain!.next(groups: 1_000_000)
        try kernels.rmsNorm(RMSNormArgs(input: y, weight: weight, output: x, width: 64, tokens: 1, eps: 0))
        XCTAssertThrowsError(try kernels.checkChainedLaunches(now: true)) { error in
            XCTAssertEqual(error as? KernelsError, .chainedLaunchStalled)
            XCTAssertTrue((error as? KernelsError)?.errorDescription?.contains("chainedLaunches=0") == true)
        }
        XCTAssertFalse(kernels.chainsLaunches)
        XCTAssertNotNil(kernels.chainedLaunchNote)
        XCTAssertTrue(kernels.launchOrdering.hasPrefix("a storage barrier after each ("), kernels.launchOrdering)
        // What the stalled launch wrote is suspect by definition (llvmpipe even garbles a
        // workgroup whose first thread looped that long); launches after it start afresh.
        let fresh = try GPU.buffer([Float](repeating: 3, count: 64), "fresh")
        try kernels.rmsNorm(RMSNormArgs(input: fresh, weight: weight, output: y, width: 64, tokens: 1, eps: 0))
        try kernels.rmsNorm(RMSNormArgs(input: y, weight: weight, output: x, width: 64, tokens: 1, eps: 0))
        XCTAssertEqual(try x.readFloats(count: 64), [Float](repeating: 2, count: 64), "barrier launches after the stall")
    }

    /// Checks read the error word only every `chainCheckInterval` calls unless asked now.
    func testChecksAreSpacedOut() throws {
        let kernels = try chainedLibrary()
        for _ in 0 ..< 3 * KernelLibrary.chainCheckInterval { try kernels.checkChainedLaunches() }
        XCTAssertTrue(kernels.chainsLaunches)
    }
}
