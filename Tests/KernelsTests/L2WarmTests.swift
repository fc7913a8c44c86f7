import XCTest
import GLES
@testable import Kernels

/// The L2 warm (`KernelLibrary.warmL2`, `f32_l2_warm.wgsl`): launches without barriers that
/// only load weight words. What they load is checked through the kernel's test hook (a non-zero
/// mask makes a thread store the XOR of its words); that they change no result is checked by
/// StepPlanTests, which runs the model with warms on.
final class L2WarmTests: XCTestCase {
    /// One thread folds one word of every whole 32-byte sector, each exactly once (XOR cancels
    /// a word read twice and misses one never read), for plane sizes around the sector and
    /// load-batch boundaries.
    func testOneThreadReadsOneWordOfEverySectorOnce() throws {
        var rng = SeededRNG(test: #function)
        let kernels = try GPU.library()
        let sink = try GPU.context.makeBuffer(byteCount: 16, label: "test.l2_warm.sink")
        for bytes in [32, 48, 64, 32 * 8, 32 * 8 + 40, 32 * 9, 5000, 32 * 1000 + 4] {
            let words = (0 ..< bytes / 4).map { _ in UInt32.random(in: 0 ... .max, using: &rng) }
            let plane = try GPU.context.makeBuffer(array: words, label: "test.l2_warm.plane")
            try sink.upload([UInt32(0xDEAD_BEEF)])
            try kernels.warmPlane(plane, sink: sink, zeroMask: .max, program: kernels.l2WarmProgram(workgroup: 1), maxGroups: 1)
            GPU.context.barrier()
            let expected = (0 ..< bytes / 32).reduce(UInt32(0)) { $0 ^ words[8 * $1] }
            let got = try sink.readUInt32s(count: 1)[0]
            // The thread stores only a non-zero fold (the mask test); a zero fold leaves the marker.
            XCTAssertEqual(got, expected == 0 ? 0xDEAD_BEEF : expected, "\(bytes) bytes")
        }
    }

    /// With the mask 0 (what `warmL2` passes) nothing is written, whatever the words; and a warm
    /// leaves no barrier owed: it does not touch the chain's bookkeeping.
    func testWarmWritesNothingAndOrdersNothing() throws {
        var rng = SeededRNG(test: #function)
        let kernels = try GPU.library()
        let sink = try GPU.context.makeBuffer(byteCount: 16, label: "test.l2_warm.sink")
        let words = (0 ..< 4096).map { _ in UInt32.random(in: 1 ... .max, using: &rng) }
        let plane = try GPU.context.makeBuffer(array: words, label: "test.l2_warm.plane")
        try sink.upload([UInt32(7)])
        GPU.context.barrier()
        XCTAssertNil(GPU.context.unorderedLaunchOwner)
        try kernels.warmPlane(plane, sink: sink, zeroMask: 0, program: kernels.l2WarmProgram(workgroup: 64), maxGroups: 3)
        XCTAssertNil(GPU.context.unorderedLaunchOwner, "a warm owes no barrier")
        GPU.context.barrier()
        XCTAssertEqual(try sink.readUInt32s(count: 1)[0], 7)
    }

    /// `warmL2` takes every chunk's two planes (a float format's 16-byte scale placeholder is
    /// under a sector and skipped).
    func testWarmL2LaunchesOncePerPlaneOfEveryChunk() throws {
        var rng = SeededRNG(test: #function)
        let kernels = try GPU.library()
        let (raw, _) = try rng.tensor(.q8_0, rows: 64, cols: 256)
        let q8 = try GPUWeights(context: GPU.context, packed: try PackedWeights.repack(raw: raw, format: .q8_0, rows: 64, cols: 256),
                                label: "test.l2_warm.q8", maxChunkBytes: 64 * 256 / 2)
        XCTAssertGreaterThan(q8.chunks.count, 1)
        XCTAssertEqual(try kernels.warmL2(q8).dispatches, 2 * q8.chunks.count)
        let (floats, _) = try rng.tensor(.f32, rows: 8, cols: 64)
        let f32 = try GPUWeights(context: GPU.context, packed: try PackedWeights.repack(raw: floats, format: .f32, rows: 8, cols: 64),
                                 label: "test.l2_warm.f32")
        XCTAssertEqual(try kernels.warmL2(f32).dispatches, f32.chunks.count)
    }
}
