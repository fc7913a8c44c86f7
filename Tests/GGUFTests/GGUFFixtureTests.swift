import Foundation
import XCTest
@testable import GGUF

/// The reader on small real files written by gguf-py (scripts/make_gguf_fixture.py).
final class GGUFFixtureTests: XCTestCase {
    struct Expected: Decodable {
        struct Tensor: Decodable { let name: String; let type: UInt32; let shape: [UInt64]; let bytes: UInt64; let offset: UInt64; let sha256: String }
        let tensors: [Tensor]
        let keys: [String]
    }

    func expected() throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: URL(fileURLWithPath: TestFiles.fixture("tiny.expected.json"))))
    }

    func checkTensors(_ file: GGUFFile, _ expected: Expected) throws {
        XCTAssertEqual(file.tensors.map(\.name), expected.tensors.map(\.name))
        for (tensor, want) in zip(file.tensors, expected.tensors) {
            XCTAssertEqual(tensor.type.rawValue, want.type, tensor.name)
            // GGUFReader's ReaderTensor.shape is in file order (ne0 first), like ours.
            XCTAssertEqual(tensor.dimensions, want.shape, tensor.name)
            XCTAssertEqual(tensor.byteCount, want.bytes, tensor.name)
            XCTAssertEqual(SHA256.hex(try file.tensorData(tensor)), want.sha256, tensor.name)
        }
    }

    func testSingleFileFromGGUFPy() throws {
        let want = try expected()
        let file = try GGUFFile.open(TestFiles.fixture("tiny.gguf"))
        XCTAssertEqual(file.version, 3)
        XCTAssertEqual(file.metadataKeys, want.keys)
        XCTAssertEqual(file.string("general.architecture"), "tiny")
        XCTAssertEqual(file.metadata["test.u8"], .uint8(200))
        XCTAssertEqual(file.metadata["test.i8"], .int8(-100))
        XCTAssertEqual(file.metadata["test.u16"], .uint16(60000))
        XCTAssertEqual(file.metadata["test.i16"], .int16(-30000))
        XCTAssertEqual(file.metadata["test.u32"], .uint32(4_000_000_000))
        XCTAssertEqual(file.metadata["test.i32"], .int32(-2_000_000_000))
        XCTAssertEqual(file.metadata["test.u64"], .uint64(18_000_000_000_000_000_000))
        XCTAssertEqual(file.metadata["test.i64"], .int64(-9_000_000_000_000_000_000))
        XCTAssertEqual(file.metadata["test.f32"], .float32(1.5))
        XCTAssertEqual(file.metadata["test.f64"], .float64(-2.25))
        XCTAssertEqual(file.bool("test.bool"), true)
        XCTAssertEqual(file.string("test.string"), "héllo ✓ world")
        XCTAssertEqual(file.stringArray("test.strings"), ["a", "Ġthe", "<|start|>", ""])
        XCTAssertEqual(file.intArray("test.int32s"), [1, -2, 3])
        XCTAssertEqual(file.floatArray("test.floats"), [0.5, -1, 2])
        XCTAssertEqual(file.array("test.bools")?.storage, .bool([true, false, true]))
        XCTAssertNil(file.metadata["test.nested"], "arrays of arrays are refused, so the fixture has none")
        try checkTensors(file, want)
        for (tensor, w) in zip(file.tensors, want.tensors) { XCTAssertEqual(tensor.offset, w.offset, tensor.name) }
    }

    func testSplitFilesFromGGUFPyOpenAsOneModel() throws {
        let want = try expected()
        for part in 1...3 {
            let file = try GGUFFile.open(TestFiles.fixture("tiny-split-0000\(part)-of-00003.gguf"))
            XCTAssertEqual(file.sources.count, 3)
            XCTAssertEqual(file.int("split.count"), 3)
            XCTAssertEqual(file.string("test.string"), "héllo ✓ world")
            XCTAssertEqual(file.tensors.map(\.sourceIndex), [0, 0, 1, 1, 2, 2])
            try checkTensors(file, want)
        }
    }

    func testSplitPartsAreCheckedForConsistency() throws {
        let parts = try (1...3).map { try FileByteSource(path: TestFiles.fixture("tiny-split-0000\($0)-of-00003.gguf")) }
        XCTAssertEqual(try GGUFFile(sources: parts).tensors.count, 6)
        assertGGUFError(try GGUFFile(sources: [parts[0], parts[2], parts[1]]), "parts out of order") {
            if case .splitPart = $0 { return true }; return false
        }
        assertGGUFError(try GGUFFile(source: parts[0]), "one part alone") {
            if case .splitPart = $0 { return true }; return false
        }
        let dir = try TestFiles.temporaryDirectory(for: self)
        let renamed = dir.appendingPathComponent("renamed.gguf").path
        try FileManager.default.copyItem(atPath: TestFiles.fixture("tiny-split-00001-of-00003.gguf"), toPath: renamed)
        assertGGUFError(try GGUFFile.open(renamed), "part renamed") { if case .splitPart = $0 { return true }; return false }
        let lonely = dir.appendingPathComponent("m-00001-of-00003.gguf").path
        try FileManager.default.copyItem(atPath: TestFiles.fixture("tiny-split-00001-of-00003.gguf"), toPath: lonely)
        assertGGUFError(try GGUFFile.open(lonely), "missing parts") { if case .io = $0 { return true }; return false }
    }

    func testSplitNaming() {
        XCTAssertEqual(SplitNaming.partLocations(for: "/m/a-00002-of-00003.gguf", count: 3),
                       ["/m/a-00001-of-00003.gguf", "/m/a-00002-of-00003.gguf", "/m/a-00003-of-00003.gguf"])
        XCTAssertEqual(SplitNaming.partLocations(for: "https://h/x/m-00001-of-00002.gguf?download=true", count: 2),
                       ["https://h/x/m-00001-of-00002.gguf?download=true", "https://h/x/m-00002-of-00002.gguf?download=true"])
        XCTAssertNil(SplitNaming.partLocations(for: "/m/a-00001-of-00003.gguf", count: 4))
        XCTAssertNil(SplitNaming.partLocations(for: "/m/a.gguf", count: 2))
    }
}
