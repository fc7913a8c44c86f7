import XCTest
import Kernels
@testable import GPTOSS

final class SamplerTests: XCTestCase {
    /// A reduction record over a made-up vocabulary of logits, as the GPU would write it.
    func summary(_ logits: [Float], temperature: Float, candidates k: Int) -> LogitSummary {
        let order = logits.indices.sorted { logits[$0] != logits[$1] ? logits[$0] > logits[$1] : $0 < $1 }
        let scaled = logits.map { Double($0 / temperature) }
        let m = scaled.max()!
        let lse = m + log(scaled.reduce(0) { $0 + exp($1 - m) })
        let p = scaled.map { exp($0 - lse) }
        let entropy = -p.reduce(0) { $0 + ($1 > 0 ? $1 * log($1) : 0) }
        var words: [UInt32] = [UInt32(order[0]), logits[order[0]].bitPattern, Float(lse).bitPattern, Float(entropy).bitPattern]
        words += order.prefix(k).map { UInt32($0) }
        words += order.prefix(k).map { logits[$0].bitPattern }
        return LogitSummary(words: words, candidates: k, temperature: temperature)
    }

    let logits: [Float] = [0.5, 2.0, 1.9, -1, 1.0, 0.2, 1.95, -3]

    func testGreedyAndTopKOneTakeTheArgmax() throws {
        var greedy = try Sampler(.greedy)
        XCTAssertEqual(greedy.choose(from: summary(logits, temperature: 1, candidates: 5)), 1)
        var topOne = try Sampler(SamplingParameters(temperature: 2, topK: 1, seed: 9))
        XCTAssertEqual(topOne.choose(from: summary(logits, temperature: 2, candidates: 5)), 1)
    }

    func testSeedRepeatsAndDrawsStayInsideTopK() throws {
        let params = SamplingParameters(temperature: 1.5, topK: 3, seed: 42)
        let s = summary(logits, temperature: 1.5, candidates: 8)
        var a = try Sampler(params), b = try Sampler(params)
        let drawsA = (0 ..< 200).map { _ in a.choose(from: s) }
        let drawsB = (0 ..< 200).map { _ in b.choose(from: s) }
        XCTAssertEqual(drawsA, drawsB)
        XCTAssertEqual(Set(drawsA), [1, 6, 2], "top-3 of the logits are ids 1, 6, 2; all should be drawn")
    }

    func testTopPKeepsTheSmallestSetReachingP() throws {
        // With a very peaked distribution, p = 0.5 leaves only the best token.
        let peaked: [Float] = [10, 0, 0, 0, 0, 0]
        var sampler = try Sampler(SamplingParameters(temperature: 1, topP: 0.5, seed: 1))
        let s = summary(peaked, temperature: 1, candidates: 6)
        XCTAssertEqual(Set((0 ..< 50).map { _ in sampler.choose(from: s) }), [0])
    }

    func testBadParametersAreNamed() {
        XCTAssertThrowsError(try Sampler(SamplingParameters(temperature: -1))) {
            XCTAssertTrue($0.localizedDescription.contains("--temperature"))
        }
        XCTAssertThrowsError(try Sampler(SamplingParameters(topP: 0))) {
            XCTAssertTrue($0.localizedDescription.contains("--top-p"))
        }
    }

    func testNumpyRoundTripAndPythonHeader() throws {
        let array = NumpyArray(shape: [2, 3], values: [1, 2, 3, 4, 5, -6.5])
        let path = NSTemporaryDirectory() + "gptoss-npy-\(UUID().uuidString).npy"
        try array.write(to: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertEqual(try NumpyArray(contentsOf: path), array)
        let data = array.encoded()
        XCTAssertEqual((data.count - 24) % 64, 0, "header padded to 64 bytes")
        XCTAssertTrue(String(decoding: data.prefix(80), as: UTF8.self).contains("'shape': (2, 3)"))
    }
}
