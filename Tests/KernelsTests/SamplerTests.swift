import GLES
import XCTest
@testable import Kernels

final class SamplerTests: XCTestCase {
    func testLogitSummaryAcrossSlices() throws {
        var rng = SeededRNG(test: "sampler")
        let kernels = try GPU.library()
        let vocab = 5003   // three slices of 2048, the last one partial
        for temperature: Float in [1, 0.7] {
            var logits = rng.floats(vocab, scale: 8)
            logits[4321] = 12   // a clear winner in the last slice
            logits[17] = 11.5
            logits[2048] = 11.5  // a tie across slices: the lower id comes first
            let buffer = try GPU.buffer([0, 0, 0] + logits, "logits")
            let gpu = try kernels.summarizeLogits(logits: buffer, offset: 3, vocab: vocab, candidates: 8, temperature: temperature)
            let ref = CPUReference.logitSummary(logits, candidates: 8, temperature: temperature)
            XCTAssertEqual(gpu.argmax, 4321)
            XCTAssertEqual(gpu.candidates.map(\.id), ref.candidates.map(\.id), "T=\(temperature)")
            XCTAssertEqual(gpu.candidates.map(\.id).prefix(3), [4321, 17, 2048])
            XCTAssertEqual(gpu.candidates.map(\.logit), ref.candidates.map(\.logit))
            XCTAssertEqual(gpu.maxLogit, 12)
            XCTAssertEqual(gpu.logSumExp, ref.logSumExp, accuracy: 1e-5 * abs(ref.logSumExp))
            XCTAssertEqual(gpu.entropy, ref.entropy, accuracy: 1e-4 * abs(ref.entropy))
            print("[sampler T=\(temperature)] lse \(gpu.logSumExp) vs \(ref.logSumExp), entropy \(gpu.entropy) vs \(ref.entropy)")
            let p = gpu.probability(ofLogit: gpu.candidates[0].logit)
            XCTAssertGreaterThan(p, 0)
            XCTAssertLessThanOrEqual(p, 1)
        }
    }

    func testSamplerRejectsBadArguments() throws {
        let kernels = try GPU.library()
        let logits = try GPU.zeros(10, "l")
        XCTAssertThrowsError(try kernels.summarizeLogits(logits: logits, vocab: 10, candidates: 0)) { error in
            XCTAssertEqual(error as? KernelsError, .invalidArgument(kernel: "f32_logits_reduce", message: "candidates = 0 must be in 1...min(64, vocab)"))
        }
        XCTAssertThrowsError(try kernels.summarizeLogits(logits: logits, vocab: 11, candidates: 4)) { error in
            XCTAssertEqual(error as? KernelsError, .bufferTooSmall(kernel: "f32_logits_reduce", buffer: "l", needed: 44, available: 40))
        }
        XCTAssertThrowsError(try kernels.summarizeLogits(logits: logits, vocab: 10, candidates: 4, temperature: 0)) { error in
            XCTAssertEqual(error as? KernelsError, .invalidArgument(kernel: "f32_logits_reduce", message: "temperature must be positive (use 1 for greedy decoding)"))
        }
    }
}
