import XCTest
@testable import GGUF

/// The reader on files our writer made: every value type, tensors, alignment, split parts.
final class GGUFRoundTripTests: XCTestCase {
    static let everyValue: [(String, GGUFValue)] = [
        ("general.architecture", .string("gpt-oss")),
        ("t.u8", .uint8(255)), ("t.i8", .int8(-128)), ("t.u16", .uint16(65535)), ("t.i16", .int16(-32768)),
        ("t.u32", .uint32(4_294_967_295)), ("t.i32", .int32(-2_147_483_648)),
        ("t.u64", .uint64(.max)), ("t.i64", .int64(.min)), ("t.f32", .float32(-0.125)), ("t.f64", .float64(1e300)),
        ("t.bool", .bool(false)), ("t.string", .string("Ġthe ✓ \u{0}end")), ("t.empty", .string("")),
        ("t.a.u8", .array(GGUFArray(.uint8([0, 1, 255])))), ("t.a.i8", .array(GGUFArray(.int8([-1, 0, 1])))),
        ("t.a.u16", .array(GGUFArray(.uint16([1, 65535])))), ("t.a.i16", .array(GGUFArray(.int16([-5, 5])))),
        ("t.a.u32", .array(GGUFArray(.uint32([7])))), ("t.a.i32", .array(GGUFArray(.int32([3, -3, 0])))),
        ("t.a.u64", .array(GGUFArray(.uint64([.max, 0])))), ("t.a.i64", .array(GGUFArray(.int64([.min])))),
        ("t.a.f32", .array(GGUFArray(.float32([1.5, -2])))), ("t.a.f64", .array(GGUFArray(.float64([0.25])))),
        ("t.a.bool", .array(GGUFArray(.bool([true, false])))), ("t.a.str", .array(GGUFArray(.string(["a", "", "b c"])))),
        ("t.a.empty", .array(GGUFArray(.int32([])))),
    ]

    func makeWriter(alignment: Int = 32) throws -> (GGUFWriter, [String: [UInt8]]) {
        let writer = try GGUFWriter(alignment: alignment)
        for (key, value) in Self.everyValue { writer.set(key, value) }
        var data: [String: [UInt8]] = [:]
        let shapes: [(String, [UInt64], GGMLType)] = [
            ("a.f32", [3], .f32), ("b.q8_0", [64, 2], .q8_0), ("c.mxfp4", [32, 3, 2], .mxfp4), ("d.f16", [5], .f16),
            ("e.bf16", [1, 1, 1, 7], .bf16), ("f.q4_K", [256], .q4_K),
        ]
        for (index, (name, dims, type)) in shapes.enumerated() {
            let count = Int(type.bytes(forElements: dims.reduce(1, *))!)
            let bytes = [UInt8].pattern(count: count, seed: UInt64(index))
            data[name] = bytes
            try writer.addTensor(name: name, dimensions: dims, type: type, data: bytes)
        }
        return (writer, data)
    }

    func testWriterOutputParsesBackExactly() throws {
        for alignment in [32, 1, 64, 4096] {
            let dir = try TestFiles.temporaryDirectory(for: self)
            let path = dir.appendingPathComponent("m.gguf").path
            let (writer, data) = try makeWriter(alignment: alignment)
            try writer.write(to: path)
            let file = try GGUFFile.open(path)
            XCTAssertEqual(file.version, 3)
            XCTAssertEqual(file.alignment, UInt64(alignment))
            let expectedKeys = (alignment == 32 ? [] : ["general.alignment"]) + Self.everyValue.map(\.0)
            XCTAssertEqual(file.metadataKeys, expectedKeys)
            for (key, value) in Self.everyValue { XCTAssertEqual(file.metadata[key], value, key) }
            XCTAssertEqual(file.tensors.map(\.name), ["a.f32", "b.q8_0", "c.mxfp4", "d.f16", "e.bf16", "f.q4_K"])
            for tensor in file.tensors {
                XCTAssertEqual(tensor.offset % UInt64(alignment), 0, tensor.name)
                XCTAssertEqual(try file.tensorData(tensor), data[tensor.name], tensor.name)
            }
            XCTAssertEqual(file.tensor(named: "c.mxfp4")?.dimensions, [32, 3, 2])
            XCTAssertEqual(file.tensor(named: "c.mxfp4")?.byteCount, 6 * 17)
            XCTAssertNil(file.tensor(named: "missing"))
            XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".partial-\(getpid())"))
        }
    }

    func testTypedAccessors() throws {
        let (writer, _) = try makeWriter()
        let dir = try TestFiles.temporaryDirectory(for: self)
        let path = dir.appendingPathComponent("m.gguf").path
        try writer.write(to: path)
        let file = try GGUFFile(source: FileByteSource(path: path))
        XCTAssertEqual(file.string("general.architecture"), "gpt-oss")
        XCTAssertEqual(file.int("t.u32"), 4_294_967_295)
        XCTAssertEqual(file.uint32("t.u32"), 4_294_967_295)
        XCTAssertNil(file.uint32("t.i32"))
        XCTAssertNil(file.int("t.u64"))
        XCTAssertEqual(file.float("t.f32"), -0.125)
        XCTAssertEqual(file.float("t.u8"), 255)
        XCTAssertEqual(file.bool("t.bool"), false)
        XCTAssertEqual(file.stringArray("t.a.str"), ["a", "", "b c"])
        XCTAssertEqual(file.int32Array("t.a.i32"), [3, -3, 0])
        XCTAssertEqual(file.int32Array("t.a.u16"), [1, 65535])
        XCTAssertNil(file.int32Array("t.a.u64"))
        XCTAssertEqual(file.floatArray("t.a.f32"), [1.5, -2])
        XCTAssertNil(file.string("t.u8"))
        XCTAssertNil(file.stringArray("t.a.i32"))
    }

    func testReaderFetchesOnlyTheHeaderWhenOpening() throws {
        let writer = try GGUFWriter()
        writer.set("general.architecture", .string("x"))
        try writer.addTensor(name: "big", dimensions: [1 << 20], type: .f32, data: [UInt8](repeating: 1, count: 4 << 20))
        let dir = try TestFiles.temporaryDirectory(for: self)
        let path = dir.appendingPathComponent("m.gguf").path
        try writer.write(to: path)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let source = MemoryByteSource(bytes)
        let file = try GGUFFile(source: source)
        XCTAssertLessThan(source.bytesRead, 128 << 10, "opening must not read tensor data")
        XCTAssertEqual(file.tensors[0].byteCount, 4 << 20)
        var part = [UInt8](repeating: 0, count: 8)
        try part.withUnsafeMutableBytes { try file.readTensorBytes(file.tensors[0], at: 100, into: $0) }
        XCTAssertEqual(part, [UInt8](repeating: 1, count: 8))
        assertGGUFError(try file.readTensorData(file.tensors[0], into: UnsafeMutableRawBufferPointer(start: nil, count: 0)),
                        "wrong buffer size") { if case .tensorBufferSize = $0 { return true }; return false }
    }

    func testWriterRejectsBadTensorsAndLeavesNoPartialFile() throws {
        let writer = try GGUFWriter()
        assertGGUFError(try writer.addTensor(name: "z", dimensions: [0], type: .f32, data: []), "zero dim") {
            if case .writer = $0 { return true }; return false
        }
        assertGGUFError(try writer.addTensor(name: "q", dimensions: [33], type: .q8_0, data: []), "partial block") {
            if case .writer = $0 { return true }; return false
        }
        try writer.addTensor(name: "short", dimensions: [4], type: .f32, data: [1, 2, 3])
        assertGGUFError(try writer.addTensor(name: "short", dimensions: [4], type: .f32, data: []), "duplicate") {
            if case .writer = $0 { return true }; return false
        }
        let dir = try TestFiles.temporaryDirectory(for: self)
        let path = dir.appendingPathComponent("m.gguf").path
        assertGGUFError(try writer.write(to: path), "short data") { if case .writer = $0 { return true }; return false }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [], "no file, whole or partial, is left")
    }

    func testWriterRefusesAConflictingAlignmentKey() throws {
        let writer = try GGUFWriter(alignment: 64)
        writer.set("general.alignment", .uint32(32))
        let dir = try TestFiles.temporaryDirectory(for: self)
        assertGGUFError(try writer.write(to: dir.appendingPathComponent("m.gguf").path), "conflict") {
            if case .writer(let detail) = $0 { return detail.contains("alignment") }; return false
        }
        XCTAssertThrowsError(try GGUFWriter(alignment: 48)) { error in
            XCTAssertEqual(error as? GGUFError, .writer(detail: "alignment 48 is not a power of two"))
        }
    }

    func testStreamedProducerWritesPieces() throws {
        let writer = try GGUFWriter()
        let expected = [UInt8].pattern(count: 34 * 100, seed: 9)
        try writer.addTensor(name: "w", dimensions: [3200], type: .q8_0) { emit in
            for start in stride(from: 0, to: expected.count, by: 34) {
                try expected.withUnsafeBytes { try emit(UnsafeRawBufferPointer(rebasing: $0[start..<start + 34])) }
            }
        }
        let dir = try TestFiles.temporaryDirectory(for: self)
        let path = dir.appendingPathComponent("m.gguf").path
        try writer.write(to: path)
        let file = try GGUFFile.open(path)
        XCTAssertEqual(try file.tensorData(file.tensors[0]), expected)
    }
}
