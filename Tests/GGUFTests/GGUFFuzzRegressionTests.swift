import XCTest
@testable import GGUF

/// Inputs the fuzz target `fuzz-gguf` (docs/fuzzing.md) found, each kept as a fixture in
/// Fixtures/fuzz and checked here with what must happen instead.
final class GGUFFuzzRegressionTests: XCTestCase {
    func fixture(_ name: String) throws -> [UInt8] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/fuzz/\(name)")
        return [UInt8](try Data(contentsOf: url))
    }

    /// An empty tensor (a zero dimension; ggml accepts it, and so does the parser) whose other
    /// dimensions multiply past 64 bits: `elementCount` trapped on the overflow before reaching
    /// the zero, so `inspect` crashed on the file (found 2026-12-06 in 43 k executions).
    func testEmptyTensorWithOverflowingDimensionsInspects() throws {
        let file = try GGUFFile(source: MemoryByteSource(try fixture("empty-tensor-overflowing-dimensions.gguf")))
        let empty = try XCTUnwrap(file.tensors.first { $0.dimensions.contains(0) })
        var product: UInt64 = 1, overflowed = false
        for dimension in empty.dimensions where dimension > 0 {
            let (next, overflow) = product.multipliedReportingOverflow(by: dimension)
            overflowed = overflowed || overflow
            product = next
        }
        XCTAssertTrue(overflowed, "the other dimensions of \(empty.shapeDescription) overflow (what made elementCount trap)")
        XCTAssertEqual(empty.elementCount, 0)
        XCTAssertEqual(empty.byteCount, 0)
        let inspection = GGUFInspection(file: file)
        XCTAssertTrue(inspection.text().contains(empty.name))
        XCTAssertEqual(inspection.totalsByType.first { $0.type == empty.type }?.elements, 0)
    }

    func testElementCountOfHandBuiltInfos() {
        func info(_ dimensions: [UInt64]) -> GGUFTensorInfo {
            GGUFTensorInfo(name: "t", dimensions: dimensions, type: .f32, offset: 0, byteCount: 0, sourceIndex: 0)
        }
        XCTAssertEqual(info([1 << 40, 1 << 40, 0]).elementCount, 0, "zero wins wherever it stands")
        XCTAssertEqual(info([3, 5, 7]).elementCount, 105)
        XCTAssertEqual(info([]).elementCount, 1, "a scalar")
        XCTAssertEqual(info([1 << 40, 1 << 40]).elementCount, .max, "saturates instead of trapping")
    }
}
