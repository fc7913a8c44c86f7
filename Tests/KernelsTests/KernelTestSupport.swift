import Foundation
import GLES
import XCTest
@testable import Kernels

/// SplitMix64: small, fast, reproducible. By default each test's seed is fixed (a hash of its
/// name), so a run is deterministic; GPTOSS_GL_TEST_SEED=N gives every test seed N, and
/// GPTOSS_GL_TEST_SEED=random a fresh seed each (printed, to replay a failure with =N).
struct SeededRNG: RandomNumberGenerator {
    private var state: UInt64
    let seed: UInt64

    init(test: String) {
        seed = Self.seed(for: test, setting: ProcessInfo.processInfo.environment["GPTOSS_GL_TEST_SEED"])
        state = seed
        print("[\(test)] seed \(seed) (replay with GPTOSS_GL_TEST_SEED=\(seed))")
    }

    /// The seed of `test` under a GPTOSS_GL_TEST_SEED `setting` (nil: unset). A value that is
    /// neither a number nor `random` stops the run: a typo must not quietly test other inputs.
    static func seed(for test: String, setting: String?) -> UInt64 {
        switch setting {
        case nil: return fnv1a(test)
        case "random"?: return UInt64.random(in: 1 ... UInt64.max)
        case let text?:
            guard let n = UInt64(text) else { fatalError("GPTOSS_GL_TEST_SEED must be a number or 'random', got '\(text)'") }
            return n
        }
    }

    /// FNV-1a of the name: stable across runs and platforms (Swift's `hashValue` is not).
    static func fnv1a(_ text: String) -> UInt64 {
        text.utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01b3 }
    }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    mutating func floats(_ count: Int, scale: Float = 1) -> [Float] {
        (0 ..< count).map { _ in Float.random(in: -scale ... scale, using: &self) }
    }

    mutating func bytes(_ count: Int) -> [UInt8] {
        (0 ..< count).map { _ in UInt8.random(in: 0 ... 255, using: &self) }
    }

    /// Raw ggml bytes of a rows × cols tensor with realistic scales, and its decoded values.
    mutating func tensor(_ format: WeightFormat, rows: Int, cols: Int, scale: Float = 0.5) throws -> (raw: [UInt8], values: [Float]) {
        var raw: [UInt8]
        switch format {
        case .f32, .f16, .bf16, .q8_0:
            raw = try GGMLBlocks.encode(floats(rows * cols, scale: scale), as: format)
        case .mxfp4:
            raw = []
            for _ in 0 ..< rows * cols / 32 {
                raw.append(UInt8.random(in: 122 ... 128, using: &self))
                raw += bytes(16)
            }
        }
        return (raw, try GGMLBlocks.dequantize(raw: raw, format: format, rows: rows, cols: cols))
    }
}

/// One GL context and kernel library for the whole test run (tests run on one thread).
enum GPU {
    static let context: GLContext = {
        do { return try GLContext.createHeadless() } catch { fatalError("no GLES context for the kernel tests: \(error)") }
    }()

    static func library(tuning: KernelTuning? = nil) throws -> KernelLibrary {
        try KernelLibrary(context: context, tuning: tuning)
    }

    static func buffer(_ values: [Float], _ label: String) throws -> GPUBuffer {
        try context.makeBuffer(array: values, label: label)
    }

    static func buffer(ids: [Int], _ label: String) throws -> GPUBuffer {
        try context.makeBuffer(array: ids.map { UInt32($0) }, label: label)
    }

    static func zeros(_ count: Int, _ label: String) throws -> GPUBuffer {
        let buffer = try context.makeBuffer(byteCount: max(count, 4) * 4, label: label)
        try buffer.zero()
        return buffer
    }

    static func read(_ buffer: GPUBuffer, _ count: Int) throws -> [Float] {
        try buffer.readFloats(count: count)
    }
}

/// ‖gpu − ref‖ / ‖ref‖ and max |gpu − ref|, printed and checked.
func assertClose(_ gpu: [Float], _ reference: [Float], relative: Double = 1e-4, absolute: Double? = nil,
                 _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(gpu.count, reference.count, "\(what): length", file: file, line: line)
    var diff = 0.0, norm = 0.0, maxAbs = 0.0
    for (g, r) in zip(gpu, reference) {
        let d = Double(g) - Double(r)
        diff += d * d
        norm += Double(r) * Double(r)
        maxAbs = max(maxAbs, abs(d))
    }
    let rel = norm > 0 ? (diff / norm).squareRoot() : diff.squareRoot()
    print("[\(what)] relative error \(String(format: "%.3e", rel)), max abs error \(String(format: "%.3e", maxAbs)) over \(gpu.count) values")
    XCTAssertFalse(rel.isNaN, "\(what): NaN in the output", file: file, line: line)
    XCTAssertLessThanOrEqual(rel, relative, "\(what): relative error", file: file, line: line)
    if let absolute { XCTAssertLessThanOrEqual(maxAbs, absolute, "\(what): max abs error", file: file, line: line) }
}
