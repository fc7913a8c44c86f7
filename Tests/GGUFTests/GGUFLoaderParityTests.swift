import XCTest
@testable import GGUF

/// The rules of ggml's GGUF reader (gguf.cpp), one test each: a file it refuses is refused here
/// with the specific error naming the field or tensor and its offset, and the borderline files it
/// loads (63-byte names, empty tensors) load here too.
final class GGUFLoaderParityTests: XCTestCase {
    typealias RawFile = GGUFMalformedTests.RawFile

    func parse(_ bytes: [UInt8]) throws -> GGUFFile { try GGUFFile(source: MemoryByteSource(bytes, name: "parity.gguf")) }

    /// Two f32 tensors back to back: "a" (8 floats, 32 bytes) at 0 and "b" (4 floats) at 32.
    func base() -> RawFile {
        var f = RawFile()
        f.addKey("general.architecture", .string("gpt-oss"))
        f.addTensor("a", [8], offset: 0)
        f.addTensor("b", [4], offset: 32)
        f.dataBytes = 48
        return f
    }

    /// Byte offset where metadata entry `index` starts.
    func metadataOffset(_ f: RawFile, _ index: Int) -> UInt64 { UInt64(24 + f.metadata[..<index].reduce(0) { $0 + $1.count }) }

    /// Byte offset where tensor info `index` starts.
    func tensorInfoOffset(_ f: RawFile, _ index: Int) -> UInt64 {
        metadataOffset(f, f.metadata.count) + UInt64(f.tensorInfos[..<index].reduce(0) { $0 + $1.count })
    }

    func testBaseLoads() throws {
        let file = try parse(base().bytes)
        XCTAssertEqual(file.tensors.map(\.name), ["a", "b"])
    }

    func testEmptyKeyIsRefused() {
        var f = base()
        f.addKey("", .uint8(1))
        let at = metadataOffset(f, 1)
        let error = assertGGUFError(try parse(f.bytes), "empty key") { if case .emptyKey(_, 1, at) = $0 { return true }; return false }
        XCTAssertTrue(error?.errorDescription?.contains("empty key") ?? false)
    }

    func testDuplicateKeyIsNamedWithItsOffset() {
        var f = base()
        f.addKey("general.architecture", .string("again"))
        let at = metadataOffset(f, 1)
        assertGGUFError(try parse(f.bytes), "duplicate key") {
            if case .duplicateKey(_, "general.architecture", at) = $0 { return true }; return false
        }
    }

    func testArrayOfArraysIsRefused() {
        var f = base()
        f.addRawMetadata { e in
            e.append(string: "nested"); e.append(GGUFValueType.array.rawValue)
            e.append(GGUFValueType.array.rawValue); e.append(UInt64(1))
            e.append(GGUFValueType.uint8.rawValue); e.append(UInt64(0))
        }
        let typeAt = metadataOffset(f, 1) + 8 + 6 + 4
        let error = assertGGUFError(try parse(f.bytes), "array of arrays") {
            if case .arrayOfArrays(_, let field, typeAt) = $0 { return field == "metadata 'nested'" }; return false
        }
        XCTAssertTrue(error?.errorDescription?.contains("array of arrays") ?? false)
        // An empty array of arrays is refused too: the element type alone is the fault.
        f = base()
        f.addRawMetadata { e in
            e.append(string: "nested"); e.append(GGUFValueType.array.rawValue); e.append(GGUFValueType.array.rawValue); e.append(UInt64(0))
        }
        assertGGUFError(try parse(f.bytes), "empty array of arrays") { if case .arrayOfArrays = $0 { return true }; return false }
    }

    func testStringAndArrayLengthsAboveGGMLCapsAreRefusedBeforeAllocating() {
        var f = base()
        f.addRawMetadata { $0.append(string: "s"); $0.append(GGUFValueType.string.rawValue); $0.append(GGUFLimits.maxStringLength + 1) }
        assertGGUFError(try parse(f.bytes), "string over 1 GiB") {
            if case .overLimit(_, let field, _, let count, GGUFLimits.maxStringLength) = $0 { return field == "metadata 's' length" && count == GGUFLimits.maxStringLength + 1 }
            return false
        }
        f = base()
        f.addRawMetadata { e in
            e.append(string: "arr"); e.append(GGUFValueType.array.rawValue); e.append(GGUFValueType.uint8.rawValue)
            e.append(GGUFLimits.maxArrayLength + 1)
        }
        assertGGUFError(try parse(f.bytes), "array over 2^30") {
            if case .overLimit(_, let field, _, _, GGUFLimits.maxArrayLength) = $0 { return field == "metadata 'arr' count" }; return false
        }
        f = base()
        f.addRawMetadata { $0.append(GGUFLimits.maxStringLength + 1) }
        assertGGUFError(try parse(f.bytes), "key over 1 GiB") { if case .overLimit = $0 { return true }; return false }
    }

    /// A huge file (1 TiB of zeros after a real header) whose counts fit its size: nothing is
    /// reserved on the counts' word, and the zeros fail as the entries they would be.
    func testHugeCountsInAHugeFileAllocateNothingAhead() {
        final class ZeroPadded: ByteSource, @unchecked Sendable {
            let head: [UInt8]
            let name = "huge.gguf"
            let size: UInt64 = 1 << 40
            init(_ head: [UInt8]) { self.head = head }
            func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws {
                for i in 0..<buffer.count {
                    let at = offset + UInt64(i)
                    buffer[i] = at < UInt64(head.count) ? head[Int(at)] : 0
                }
            }
        }
        var f = RawFile()
        f.tensorCountOverride = 1 << 35
        f.dataBytes = 0
        assertGGUFError(try GGUFFile(source: ZeroPadded(f.bytes)), "2^35 tensors") {
            // The zeros read as tensors with an empty name: the second is a duplicate.
            if case .duplicateTensor(_, "", _) = $0 { return true }; return false
        }
        f = RawFile()
        f.metadataCountOverride = 1 << 35
        f.dataBytes = 0
        assertGGUFError(try GGUFFile(source: ZeroPadded(f.bytes)), "2^35 keys") { if case .emptyKey(_, 0, 24) = $0 { return true }; return false }
    }

    func testCountsLargerThanTheFileAreRefused() {
        for (index, field) in [(0, "the tensor count"), (1, "the metadata count")] {
            var f = base()
            if index == 0 { f.tensorCountOverride = 1 << 40 } else { f.metadataCountOverride = 1 << 40 }
            assertGGUFError(try parse(f.bytes), field) {
                if case .implausibleCount(_, let name, let at, 1 << 40, _) = $0 { return name == field && at == UInt64(8 + 8 * index) }
                return false
            }
        }
    }

    func testTensorNameOf64BytesIsRefusedAnd63Loads() throws {
        var f = base()
        f.addTensor(String(repeating: "n", count: 64), [4], offset: 48)
        f.dataBytes = 64
        let at = tensorInfoOffset(f, 2)
        let error = assertGGUFError(try parse(f.bytes), "64-byte name") { if case .tensorNameTooLong(_, 2, at, 64) = $0 { return true }; return false }
        XCTAssertTrue(error?.errorDescription?.contains("at most 63") ?? false)
        f = base()
        f.addTensor(String(repeating: "n", count: 63), [4], offset: 64)
        f.dataBytes = 80
        XCTAssertEqual(try parse(f.bytes).tensors.last?.name.utf8.count, 63)
    }

    func testDuplicateTensorNameIsRefused() {
        var f = base()
        f.addTensor("a", [4], offset: 64)
        let at = tensorInfoOffset(f, 2)
        assertGGUFError(try parse(f.bytes), "duplicate tensor") { if case .duplicateTensor(_, "a", at) = $0 { return true }; return false }
    }

    func testOverlappingTensorDataIsRefused() {
        var f = base()
        f.tensorInfos[1] = { var e = GGUFEncoder(); e.appendTensorInfo(name: "b", dimensions: [4], type: 0, offset: 0); return e.bytes }()
        let offsetField = tensorInfoOffset(f, 1) + 8 + 1 + 4 + 8 + 4
        let error = assertGGUFError(try parse(f.bytes), "overlap") {
            if case .tensorOverlap(_, "b", offsetField, 0, "a", 0, 32) = $0 { return true }; return false
        }
        XCTAssertTrue(error?.errorDescription?.contains("overlap") ?? false)
    }

    func testGapOrReorderedTensorDataIsRefused() {
        var f = base()
        f.tensorInfos[1] = { var e = GGUFEncoder(); e.appendTensorInfo(name: "b", dimensions: [4], type: 0, offset: 64); return e.bytes }()
        f.dataBytes = 96
        assertGGUFError(try parse(f.bytes), "gap") { if case .tensorGap(_, "b", _, 64, 32) = $0 { return true }; return false }
        // Listed out of order: the first tensor listed must start the data section.
        f = RawFile()
        f.addTensor("b", [4], offset: 32)
        f.addTensor("a", [8], offset: 0)
        assertGGUFError(try parse(f.bytes), "out of order") { if case .tensorGap(_, "b", _, 32, 0) = $0 { return true }; return false }
    }

    func testMisalignedOffsetIsRefused() {
        var f = base()
        f.addKey("general.alignment", .uint32(64))
        // "b" at 32 is back to back for alignment 32 but not a multiple of 64.
        assertGGUFError(try parse(f.bytes), "misaligned") { if case .misalignedTensor(_, "b", _, 32, 64) = $0 { return true }; return false }
    }

    func testAlignmentNotAPowerOfTwoIsRefused() {
        for bad: UInt32 in [0, 3, 48, 1 << 31 | 1] {
            var f = base()
            f.addKey("general.alignment", .uint32(bad))
            let at = metadataOffset(f, 1)
            assertGGUFError(try parse(f.bytes), "alignment \(bad)") {
                if case .badAlignment(_, at, let detail) = $0 { return detail.contains("\(bad)") }; return false
            }
        }
    }

    func testElementCountOverflowAndDimensionsAreRefused() {
        var f = base()
        f.addTensor("x", [1 << 21, 1 << 21, 1 << 21], offset: 48)
        assertGGUFError(try parse(f.bytes), "element overflow") { if case .invalidDimensions(_, "x", _, _, let r) = $0 { return r.contains("overflows") }; return false }
        f = base()
        f.addTensor("x", [1, 1, 1, 1, 1], offset: 48)
        assertGGUFError(try parse(f.bytes), "5 dims") { if case .tooManyDimensions(_, "x", _, 5) = $0 { return true }; return false }
    }

    func testUnknownGGMLTypeIsRefused() {
        for raw: UInt32 in [4, 5, 31, 42, 0xFFFF_FFFF] {
            var f = base()
            f.addTensor("x", [256], type: raw, offset: 48)
            assertGGUFError(try parse(f.bytes), "type \(raw)") { if case .unknownTensorType(_, "x", _, raw) = $0 { return true }; return false }
        }
    }

    func testEmptyTensorLoadsAsInGGML() throws {
        var f = base()
        f.addTensor("empty", [4, 0], offset: 64)
        f.addTensor("after", [4], offset: 64)
        f.dataBytes = 80
        let file = try parse(f.bytes)
        XCTAssertEqual(file.tensor(named: "empty")?.byteCount, 0)
        XCTAssertEqual(file.tensor(named: "after")?.offset, file.tensor(named: "empty")?.offset)
    }

    func testMissingPaddingBeforeTheDataSectionIsRefused() {
        var f = RawFile()
        f.addTensor("empty", [0], offset: 0)
        var bytes = f.bytes
        bytes.removeLast(bytes.count - Int(tensorInfoOffset(f, 1)))  // the header without its padding
        XCTAssertNotEqual(bytes.count % 32, 0)
        assertGGUFError(try parse(bytes), "no padding") {
            if case .truncated(_, let field, _, _) = $0 { return field.contains("data section") }; return false
        }
    }

    func testWriterRefusesWhatTheReaderRefuses() throws {
        let writer = try GGUFWriter()
        XCTAssertThrowsError(try writer.addTensor(name: String(repeating: "n", count: 64), dimensions: [1], type: .f32, data: [0, 0, 0, 0])) { error in
            XCTAssertEqual(error as? GGUFError, .writer(detail: "tensor name '\(String(repeating: "n", count: 64))' is 64 bytes; "
                                                        + "ggml allows at most \(GGUFLimits.maxTensorNameLength)"))
        }
        writer.set("nested", .array(GGUFArray(.array([GGUFArray(.int32([1]))]))))
        let path = try TestFiles.temporaryDirectory(for: self).appendingPathComponent("w.gguf").path
        XCTAssertThrowsError(try writer.write(to: path)) { XCTAssertTrue("\($0)".contains("array") || ($0 as? GGUFError)?.errorDescription?.contains("array of arrays") == true) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }
}
