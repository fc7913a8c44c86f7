import XCTest
@testable import GGUF

/// A corpus of broken files, generated here: each must throw its specific GGUFError quickly and
/// nothing may crash, hang or allocate what a count merely claims.
final class GGUFMalformedTests: XCTestCase {
    /// Builds GGUF bytes field by field, so any field can be made wrong.
    struct RawFile {
        var magic: [UInt8] = Array("GGUF".utf8)
        var version: UInt32 = 3
        var tensorCountOverride: UInt64?
        var metadataCountOverride: UInt64?
        var metadata: [[UInt8]] = []
        var tensorInfos: [[UInt8]] = []
        var alignment = 32
        var dataBytes = 64

        mutating func addKey(_ key: String, _ value: GGUFValue) {
            var e = GGUFEncoder(); e.append(key: key, value: value); metadata.append(e.bytes)
        }
        mutating func addRawMetadata(_ build: (inout GGUFEncoder) -> Void) {
            var e = GGUFEncoder(); build(&e); metadata.append(e.bytes)
        }
        mutating func addTensor(_ name: String, _ dims: [UInt64], type: UInt32 = 0, offset: UInt64 = 0) {
            var e = GGUFEncoder(); e.appendTensorInfo(name: name, dimensions: dims, type: type, offset: offset); tensorInfos.append(e.bytes)
        }

        var bytes: [UInt8] {
            var e = GGUFEncoder()
            e.bytes += magic
            e.append(version)
            e.append(tensorCountOverride ?? UInt64(tensorInfos.count))
            e.append(metadataCountOverride ?? UInt64(metadata.count))
            for m in metadata { e.bytes += m }
            for t in tensorInfos { e.bytes += t }
            e.pad(to: alignment)
            e.bytes += [UInt8](repeating: 0xAB, count: dataBytes)
            return e.bytes
        }
    }

    func parse(_ bytes: [UInt8]) throws -> GGUFFile { try GGUFFile(source: MemoryByteSource(bytes, name: "corpus.gguf")) }

    func valid() -> RawFile {
        var f = RawFile()
        f.addKey("general.architecture", .string("gpt-oss"))
        f.addKey("tokens", .array(GGUFArray(.string(["a", "bb", "ccc"]))))
        f.addKey("f", .float32(1))
        f.addTensor("w", [8, 2], type: 0, offset: 0)
        f.addTensor("q", [32], type: 8, offset: 64)
        f.dataBytes = 64 + 34
        return f
    }

    func testValidBaseParses() throws {
        let file = try parse(valid().bytes)
        XCTAssertEqual(file.tensors.count, 2)
        XCTAssertEqual(file.stringArray("tokens"), ["a", "bb", "ccc"])
    }

    func testTruncationAtEveryByteIsATruncationError() throws {
        let bytes = valid().bytes
        let file = try parse(bytes)
        let dataStart = file.dataOffsets[0]
        for length in 0..<bytes.count {
            let prefix = Array(bytes[0..<length])
            assertGGUFError(try parse(prefix), "truncated to \(length) bytes") { error in
                switch error {
                case .truncated(let source, _, let offset, _):
                    return source == "corpus.gguf" && offset <= UInt64(length)
                case .implausibleCount:
                    return UInt64(length) < dataStart
                case .tensorOutOfBounds(_, _, _, let end, let size):
                    return size == UInt64(length) && end > size
                default:
                    return false
                }
            }
        }
    }

    func testTruncationErrorNamesTheField() {
        var f = valid()
        f.dataBytes = 0
        f.tensorInfos = []
        let bytes = f.bytes
        // Cut two bytes into the value of key "f" (the third entry): the message names it.
        let cut = 24 + f.metadata[0].count + f.metadata[1].count + 8 + 1 + 4 + 2
        let error = assertGGUFError(try parse(Array(bytes[0..<cut])), "cut in a value") {
            if case .truncated(_, let field, let offset, 2) = $0 { return field == "metadata 'f'" && offset == UInt64(cut - 2) }
            return false
        }
        XCTAssertTrue(error?.errorDescription?.contains("byte offset") ?? false)
    }

    func testHeaderErrors() {
        var f = valid(); f.magic = Array("GGUX".utf8)
        assertGGUFError(try parse(f.bytes), "bad magic") { if case .badMagic(_, let found) = $0 { return found == Array("GGUX".utf8) }; return false }
        assertGGUFError(try parse(Array("GGML".utf8) + [UInt8](repeating: 0, count: 64)), "ggml magic") { if case .badMagic = $0 { return true }; return false }
        for version: UInt32 in [0, 1, 4, 0xFFFF_FFFF] {
            f = valid(); f.version = version
            assertGGUFError(try parse(f.bytes), "version \(version)") { if case .unsupportedVersion(_, let v) = $0 { return v == version }; return false }
        }
        f = valid(); f.version = UInt32(3).byteSwapped
        assertGGUFError(try parse(f.bytes), "big endian") { if case .bigEndianFile = $0 { return true }; return false }
        f = valid(); f.version = 2
        XCTAssertEqual(try parse(f.bytes).version, 2)
    }

    func testAbsurdCountsAndLengths() {
        var f = valid(); f.tensorCountOverride = .max
        assertGGUFError(try parse(f.bytes), "tensor count") { if case .implausibleCount(_, let field, 8, .max, _) = $0 { return field == "the tensor count" }; return false }
        f = valid(); f.metadataCountOverride = 1 << 40
        assertGGUFError(try parse(f.bytes), "metadata count") { if case .implausibleCount(_, let field, 16, _, _) = $0 { return field == "the metadata count" }; return false }
        f = valid(); f.addRawMetadata { $0.append(UInt64.max) }
        assertGGUFError(try parse(f.bytes), "key length") { if case .overLimit(_, let field, _, .max, _) = $0 { return field.contains("key length") }; return false }
        // Under ggml's 1 GiB / 2^30 caps but far more than the file holds: refused before allocating.
        f = valid(); f.addRawMetadata { $0.append(string: "s"); $0.append(GGUFValueType.string.rawValue); $0.append(UInt64(1) << 29) }
        assertGGUFError(try parse(f.bytes), "string length") { if case .implausibleCount(_, let field, _, _, _) = $0 { return field == "metadata 's' length" }; return false }
        for element in [GGUFValueType.uint8, .uint64, .string] {
            f = valid(); f.addRawMetadata { $0.append(string: "arr"); $0.append(GGUFValueType.array.rawValue); $0.append(element.rawValue); $0.append(UInt64(1) << 29) }
            assertGGUFError(try parse(f.bytes), "array count \(element)") { if case .implausibleCount(_, let field, _, _, _) = $0 { return field == "metadata 'arr' count" }; return false }
        }
        f = valid(); f.addRawMetadata { $0.append(string: "arr"); $0.append(GGUFValueType.array.rawValue); $0.append(GGUFValueType.int32.rawValue); $0.append(UInt64(20)); $0.append(UInt32(1)) }
        f.dataBytes = 0; f.tensorInfos = []
        assertGGUFError(try parse(f.bytes), "array longer than the file") { if case .implausibleCount = $0 { return true }; return false }
        // ggml has no key length limit below 1 GiB: a long key loads there, so here too.
        f = valid(); f.addRawMetadata { $0.append(string: String(repeating: "k", count: 70_000)); $0.append(GGUFValueType.uint8.rawValue); $0.append(UInt8(0)) }
        XCTAssertEqual(try parse(f.bytes).metadata[String(repeating: "k", count: 70_000)], .uint8(0))
    }

    func testValueTypeErrors() {
        var f = valid(); f.addRawMetadata { $0.append(string: "odd"); $0.append(UInt32(13)); $0.append(UInt32(0)) }
        assertGGUFError(try parse(f.bytes), "unknown type") { if case .unknownValueType(_, let field, _, 13) = $0 { return field.contains("'odd'") }; return false }
        f = valid(); f.addRawMetadata { $0.append(string: "odd"); $0.append(GGUFValueType.array.rawValue); $0.append(UInt32(99)); $0.append(UInt64(1)) }
        assertGGUFError(try parse(f.bytes), "unknown element type") { if case .unknownValueType(_, _, _, 99) = $0 { return true }; return false }
        f = valid(); f.addRawMetadata { $0.append(UInt64(2)); $0.bytes += [0xC3, 0x28]; $0.append(GGUFValueType.uint8.rawValue); $0.append(UInt8(0)) }
        assertGGUFError(try parse(f.bytes), "invalid UTF-8") { if case .invalidUTF8 = $0 { return true }; return false }
        f = valid(); f.addKey("f", .float32(2))
        assertGGUFError(try parse(f.bytes), "duplicate key") { if case .duplicateKey(_, "f", _) = $0 { return true }; return false }
    }

    func testAlignmentErrors() {
        for bad: GGUFValue in [.uint32(0), .uint32(48), .uint64(32), .string("32")] {
            var f = valid(); f.addKey("general.alignment", bad)
            let entryOffset = UInt64(24 + f.metadata.dropLast().reduce(0) { $0 + $1.count })
            assertGGUFError(try parse(f.bytes), "alignment \(bad)") { if case .badAlignment(_, entryOffset, _) = $0 { return true }; return false }
        }
    }

    func testTensorErrors() {
        func check(_ name: String, _ edit: (inout RawFile) -> Void, _ matches: @escaping (GGUFError) -> Bool) {
            var f = valid(); edit(&f)
            assertGGUFError(try parse(f.bytes), name, matches: matches)
        }
        check("5 dims", { $0.addTensor("x", [1, 1, 1, 1, 1]) }) { if case .tooManyDimensions(_, "x", _, 5) = $0 { return true }; return false }
        check("negative dim", { $0.addTensor("x", [4, 0, 1 << 63], offset: 128) }) { if case .invalidDimensions(_, "x", _, _, let r) = $0 { return r.contains("negative") }; return false }
        check("overflow", { $0.addTensor("x", [1 << 32, 1 << 32]) }) { if case .invalidDimensions(_, "x", _, _, let r) = $0 { return r.contains("overflow") }; return false }
        check("byte overflow", { $0.addTensor("x", [1 << 62], type: 0) }) { if case .invalidDimensions(_, "x", _, _, let r) = $0 { return r.contains("overflow") }; return false }
        check("partial block", { $0.addTensor("x", [33, 2], type: 8) }) { if case .invalidDimensions(_, "x", _, _, let r) = $0 { return r.contains("Q8_0") }; return false }
        check("retired type", { $0.addTensor("x", [32], type: 4) }) { if case .unknownTensorType(_, "x", _, 4) = $0 { return true }; return false }
        check("unknown type", { $0.addTensor("x", [32], type: 1000) }) { if case .unknownTensorType(_, "x", _, 1000) = $0 { return true }; return false }
        check("misaligned", { $0.addTensor("x", [4], offset: 7) }) { if case .misalignedTensor(_, "x", _, 7, 32) = $0 { return true }; return false }
        check("past end", { $0.addTensor("x", [4], offset: 128) }) { if case .tensorOutOfBounds(_, "x", _, _, _) = $0 { return true }; return false }
        check("offset overflow", { $0.addTensor("a", [1 << 61], offset: 128); $0.addTensor("x", [1 << 61], offset: 128 + (1 << 63)) }) {
            if case .tensorOutOfBounds(_, "x", _, .max, _) = $0 { return true }; return false
        }
        check("end past end", { $0.addTensor("x", [64], offset: 128); $0.dataBytes = 140 }) { if case .tensorOutOfBounds(_, "x", let start, let end, let size) = $0, start < size, end > size { return true }; return false }
        check("duplicate", { $0.addTensor("w", [4], offset: 0) }) { if case .duplicateTensor(_, "w", _) = $0 { return true }; return false }
    }

    func testRandomCorruptionNeverCrashes() {
        let base = valid().bytes
        var state: UInt64 = 12345
        func next() -> Int { state = state &* 6364136223846793005 &+ 1442695040888963407; return Int(state >> 33) }
        var parsed = 0
        for _ in 0..<3000 {
            var bytes = base
            for _ in 0..<(1 + next() % 4) { bytes[next() % bytes.count] = UInt8(truncatingIfNeeded: next()) }
            do { _ = try parse(bytes); parsed += 1 } catch is GGUFError { } catch { XCTFail("not a GGUFError: \(error)") }
        }
        XCTAssertLessThan(parsed, 3000, "corruption must be noticed sometimes")
    }
}
