import Foundation
import GLES
import XCTest
@testable import Kernels

/// SplitMix64: small, fast, reproducible. Each test prints its seed; set KERNELS_TEST_SEED to
/// replay a failure.
struct SeededRNG: RandomNumberGenerator {
    private var state: UInt64
    let seed: UInt64

    init(test: String) {
        let fixed = ProcessInfo.processInfo.environment["KERNELS_TEST_SEED"].flatMap(UInt64.init)
        seed = fixed ?? UInt64.random(in: 1 ... UInt64.max)
        state = seed
        print("[\(test)] seed \(seed) (replay with KERNELS_TEST_SEED=\(seed))")
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
