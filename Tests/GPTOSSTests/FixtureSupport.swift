import GLES
import Foundation
import XCTest
import Kernels
import GGUF
@testable import GPTOSS

/// The reference fixtures made by scripts/make_reference_fixtures.py: small random GPT-OSS models
/// in three flavours with transformers' float32 logits. See docs/models.md §2.
struct Fixture {
    struct Manifest: Decodable {
        struct Case: Decodable {
            let name: String
            let tokens: [Int]
            let logits: [String: String]
        }
        struct Greedy: Decodable {
            let prompt: [Int]
            let continuation: [Int]
        }
        let model: String
        let cases: [Case]
        let greedy: [String: Greedy]
    }

    static let flavours = ["f32", "q8_0", "mxfp4"]
    static let models = ["tiny-a", "tiny-b", "tiny-c"]

    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    }

    let name: String
    let manifest: Manifest

    init(_ name: String) throws {
        self.name = name
        let data = try Data(contentsOf: Self.root.appendingPathComponent("\(name)/manifest.json"))
        manifest = try JSONDecoder().decode(Manifest.self, from: data)
    }

    func modelPath(_ flavour: String) -> String {
        Self.root.appendingPathComponent("\(name)/\(name)-\(flavour).gguf").path
    }

    func expectedLogits(_ testCase: Manifest.Case, _ flavour: String) throws -> NumpyArray {
        try NumpyArray(contentsOf: Self.root.appendingPathComponent("\(name)/\(testCase.logits[flavour]!)").path)
    }
}

/// Max |a − b| over two logit tables of the same shape, and the tolerance the issue sets:
/// 1e-3 · max |expected|.
struct LogitComparison {
    let maxAbsDiff: Float
    let maxAbsLogit: Float
    var relative: Float { maxAbsDiff / maxAbsLogit }

    init(actual: [Float], expected: [Float]) {
        precondition(actual.count == expected.count)
        maxAbsDiff = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
        maxAbsLogit = expected.map(abs).max() ?? 1
    }
}

/// One headless context and kernel library for every GPU test of this target: programs compile
/// once (slow on llvmpipe).
enum SharedGPU {
    nonisolated(unsafe) private static var shared: KernelLibrary?

    static func kernels() throws -> KernelLibrary {
        if let shared { return shared }
        let library = try KernelLibrary(context: try GLContext.createHeadless())
        shared = library
        return library
    }
}
