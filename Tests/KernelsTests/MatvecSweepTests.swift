import XCTest
@testable import Kernels

final class MatvecSweepTests: XCTestCase {
    /// Every size is timed once, with the bytes of both weight planes; bad input is refused.
    func testSweepTimesEverySizeAndRefusesBadInput() throws {
        let kernels = try GPU.library()
        let timings = try MatvecSweep.run(kernels: kernels, format: .q8_0, cols: 64, rowCounts: [3, 40], launches: 2, samples: 1)
        XCTAssertEqual(timings.map(\.rows), [3, 40])
        for t in timings {
            // Q8_0 rows of 64: 2 blocks = 64 quant bytes + one scale word padded to 16 bytes.
            XCTAssertEqual(t.weightBytes, t.rows * (64 + 16))
            XCTAssertGreaterThan(t.microsecondsPerLaunch, 0)
        }
        XCTAssertThrowsError(try MatvecSweep.run(kernels: kernels, format: .bf16, cols: 64, rowCounts: [8])) { error in
            XCTAssertEqual(error as? KernelsError, .invalidArgument(kernel: "MatvecSweep", message: "format bf16 is not swept; use q8_0, mxfp4 or f32"))
        }
        XCTAssertThrowsError(try MatvecSweep.run(kernels: kernels, format: .q8_0, cols: 64, rowCounts: [0])) { error in
            XCTAssertEqual(error as? KernelsError, .invalidArgument(kernel: "MatvecSweep", message: "launches, samples and row counts must be positive"))
        }
    }

    /// A lead-in adds the queued-ahead column (its value is noise on a CPU renderer, which runs
    /// launches as they are queued); without one it stays empty. Launches without a barrier
    /// still compute (the kernel library's `launchBarrier` off).
    func testLeadInAddsTheQueuedAheadTime() throws {
        let kernels = try GPU.library()
        let plain = try MatvecSweep.run(kernels: kernels, format: .q8_0, cols: 64, rowCounts: [8], launches: 2, samples: 1)
        XCTAssertNil(plain[0].queuedAheadMicrosecondsPerLaunch)
        XCTAssertGreaterThan(plain[0].queueMicrosecondsPerLaunch, 0)
        kernels.launchBarrier = nil
        defer { kernels.launchBarrier = .storage }
        let ahead = try MatvecSweep.run(kernels: kernels, format: .q8_0, cols: 64, rowCounts: [8], launches: 2, samples: 1, leadIn: 1)
        XCTAssertEqual(ahead[0].queuedAheadMicrosecondsPerLaunch?.isFinite, true)
    }

    /// The random weights decode to finite values in every swept format.
    func testRandomWeightsAreFinite() throws {
        for format in [WeightFormat.q8_0, .mxfp4, .f32] {
            let w = try MatvecSweep.randomWeights(context: GPU.context, format: format, rows: 4, cols: 64)
            let x = try GPU.buffer([Float](repeating: 1, count: 64), "x"), y = try GPU.zeros(4, "y")
            try GPU.library().linear(LinearArgs(weights: w, bias: nil, input: x, output: y, tokens: 1))
            XCTAssertTrue(try GPU.read(y, 4).allSatisfy(\.isFinite), "\(format)")
        }
    }
}
