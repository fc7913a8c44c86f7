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

    /// The probe's diagnoses after a failure pass where chaining works: the chained programs
    /// with a barrier after each launch, launches queued right behind their uploads, and the
    /// report `probe --launches` prints.
    func testTheProbesDiagnosesPassWhereChainingWorks() throws {
        let kernels = try chainedLibrary()
        kernels.chain?.barrierAfterEach = true
        XCTAssertNil(try kernels.runChainProbe(width: 256))
        kernels.chain?.barrierAfterEach = false
        XCTAssertNil(try kernels.runChainProbe(width: 256, finishUploads: false))
        let report = try kernels.chainProbeReport(widths: [128])
        XCTAssertEqual(report.count, 2)
        XCTAssertTrue(report.allSatisfy { $0.contains(": ok (") }, "\(report)")
        XCTAssertTrue(kernels.chainsLaunches)
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

    /// A kernel whose chained twin does not compile on the device (one storage block too many
    /// there) keeps its barriers while the others chain, and every result stays right.
    func testAKernelWhoseTwinDoesNotCompileKeepsItsBarriers() throws {
        let original = try ShaderLibrary.located().directory
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("chained-twin-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: original, to: copy)
        defer { try? FileManager.default.removeItem(at: copy) }
        // The rmsnorm twin stops at compile time; its plain program is untouched.
        let norm = copy.appendingPathComponent("\(Kernel.rmsNorm.shader).comp")
        let text = try String(contentsOf: norm, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let broken = ([lines[0], "#if defined(CHAINED_LAUNCH)", "#error no chained twin on this device", "#endif"] + lines.dropFirst())
            .joined(separator: "\n")
        try broken.write(to: norm, atomically: true, encoding: .utf8)
        var tuning = KernelTuning.portable
        tuning.chainedLaunches = true
        let kernels = try KernelLibrary(context: GPU.context, shaders: ShaderLibrary(directory: copy), tuning: tuning)
        XCTAssertTrue(kernels.chainsLaunches, kernels.launchOrdering)
        // linear (chained) → rmsnorm (barriers) → linear (chained), each reading the one before.
        var rng = SeededRNG(test: #function)
        let n = 64
        let matrix = rng.floats(n * n, scale: 0.2), x0 = rng.floats(n), gain = rng.floats(n)
        let w = try GPUWeights(context: GPU.context, packed: try PackedWeights.repack(raw: matrix.withUnsafeBytes { Array($0) }, format: .f32,
                                                                                      rows: n, cols: n), label: "test.w")
        let a = try GPU.buffer(x0, "a"), b = try GPU.zeros(n, "b"), c = try GPU.zeros(n, "c"), d = try GPU.zeros(n, "d")
        let g = try GPU.buffer(gain, "gain")
        try kernels.linear(LinearArgs(weights: w, bias: nil, input: a, output: b, tokens: 1))
        try kernels.rmsNorm(RMSNormArgs(input: b, weight: g, output: c, width: n, tokens: 1, eps: 1e-5))
        // Before the fallback existed, the rmsnorm launch threw here (its twin did not compile).
        try kernels.linear(LinearArgs(weights: w, bias: nil, input: c, output: d, tokens: 1))
        try kernels.checkChainedLaunches(now: true)
        let y1 = CPUReference.linear(weights: matrix, bias: nil, x: x0, rows: n, cols: n, tokens: 1)
        let y2 = CPUReference.rmsNorm(y1, weight: gain, tokens: 1, eps: 1e-5)
        let y3 = CPUReference.linear(weights: matrix, bias: nil, x: y2, rows: n, cols: n, tokens: 1)
        let got = try d.readFloats(count: n)
        XCTAssertLessThan(zip(got, y3).map { abs($0 - $1) }.max()!, 1e-4)
        XCTAssertTrue(kernels.chainsLaunches, "the other kernels still chain")
    }
}
