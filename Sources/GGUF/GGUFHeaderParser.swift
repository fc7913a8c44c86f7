/// What one GGUF file (or one split part) declares before its data section.
struct GGUFHeader {
    var version: UInt32
    var metadataKeys: [String]
    var metadata: [String: GGUFValue]
    /// Tensors with absolute offsets into this source.
    var tensors: [GGUFTensorInfo]
    var alignment: UInt64
    var dataOffset: UInt64
}

/// Parses a GGUF header: magic, version, counts, metadata, tensor infos, alignment.
///
/// Every count and length is bounded by the bytes left in the source (and by ggml's own caps)
/// before anything is allocated, so a corrupt or hostile file fails fast with the field and
/// offset named instead of exhausting memory. The rules are those of ggml's reader (gguf.cpp),
/// so a file llama.cpp refuses is refused here and one it loads is loaded; docs/gguf.md lists
/// them. Layout (GGUF v2/v3, little-endian): "GGUF", u32 version, u64 tensor count,
/// u64 metadata count, metadata (string key, u32 type, value)…, tensor infos (string name,
/// u32 n_dims, u64 dims…, u32 ggml type, u64 offset)…, padding to the alignment, data.
struct GGUFHeaderParser {
    static let magic: [UInt8] = Array("GGUF".utf8)
    static let defaultAlignment: UInt64 = 32
    /// Smallest encodings, used to bound counts: key length + type + 1-byte value; name length +
    /// n_dims + type + offset.
    static let minimumMetadataEntrySize: UInt64 = 8 + 4 + 1
    static let minimumTensorInfoSize: UInt64 = 8 + 4 + 4 + 8
    /// Most entries reserved ahead for a declared count. A count is only bounded by the file's
    /// size, and a 60 GB file could declare billions of entries: collections grow past this as
    /// entries are actually read (each one consumes bytes), never on the count's word alone.
    static let maximumReservation: UInt64 = 1 << 16

    static func reservation(_ count: UInt64) -> Int { Int(min(count, maximumReservation)) }

    let cursor: ByteCursor
    let sourceIndex: Int
    var sourceName: String { cursor.source.name }

    init(source: ByteSource, sourceIndex: Int) {
        self.cursor = ByteCursor(source: source)
        self.sourceIndex = sourceIndex
    }

    func parse() throws -> GGUFHeader {
        try cursor.require(4, "the magic")
        var magicBytes = [UInt8](repeating: 0, count: 4)
        try magicBytes.withUnsafeMutableBytes { try cursor.bytes(into: $0, "the magic") }
        guard magicBytes == Self.magic else { throw GGUFError.badMagic(source: sourceName, found: magicBytes) }

        let version = try cursor.uint32("the version")
        guard version == 2 || version == 3 else {
            if version.byteSwapped == 2 || version.byteSwapped == 3 { throw GGUFError.bigEndianFile(source: sourceName) }
            throw GGUFError.unsupportedVersion(source: sourceName, version: version)
        }
        let tensorCountOffset = cursor.position
        let tensorCount = try cursor.uint64("the tensor count")
        let metadataCountOffset = cursor.position
        let metadataCount = try cursor.uint64("the metadata count")
        try bound(metadataCount, each: Self.minimumMetadataEntrySize, "the metadata count", at: metadataCountOffset)
        try bound(tensorCount, each: Self.minimumTensorInfoSize, "the tensor count", at: tensorCountOffset)

        var keys: [String] = []
        keys.reserveCapacity(Self.reservation(metadataCount))
        var metadata: [String: GGUFValue] = [:]
        metadata.reserveCapacity(Self.reservation(metadataCount))
        var alignmentEntryOffset: UInt64 = 0
        for index in 0..<Int(metadataCount) {
            let keyOffset = cursor.position
            let key = try cursor.string("metadata entry \(index) key")
            guard !key.isEmpty else { throw GGUFError.emptyKey(source: sourceName, index: index, offset: keyOffset) }
            // Checked before the value is read, as ggml does, so a duplicate is named even when
            // its value is broken.
            guard metadata[key] == nil else { throw GGUFError.duplicateKey(source: sourceName, key: key, offset: keyOffset) }
            let typeOffset = cursor.position
            let rawType = try cursor.uint32("metadata '\(key)' type")
            metadata[key] = try readValue(rawType: rawType, typeOffset: typeOffset, field: "metadata '\(key)'")
            keys.append(key)
            if key == "general.alignment" { alignmentEntryOffset = keyOffset }
        }

        let alignment = try Self.alignment(in: metadata, source: sourceName, entryOffset: alignmentEntryOffset)
        var tensors: [TensorRecord] = []
        tensors.reserveCapacity(Self.reservation(tensorCount))
        var seen = Set<String>(minimumCapacity: Self.reservation(tensorCount))
        for index in 0..<Int(tensorCount) {
            let record = try readTensorInfo(index: index, alignment: alignment)
            guard seen.insert(record.name).inserted else {
                throw GGUFError.duplicateTensor(source: sourceName, tensor: record.name, offset: record.infoOffset)
            }
            tensors.append(record)
        }

        let dataOffset = Self.align(cursor.position, to: alignment)
        let size = cursor.source.size
        if !tensors.isEmpty, dataOffset > size {
            throw GGUFError.truncated(source: sourceName, field: "the padding before the data section", offset: cursor.position,
                                      needed: dataOffset - size)
        }
        try Self.checkBackToBack(tensors, alignment: alignment, source: sourceName)
        let infos = try tensors.map { record -> GGUFTensorInfo in
            let (start, overflowStart) = dataOffset.addingReportingOverflow(record.relativeOffset)
            let (end, overflowEnd) = start.addingReportingOverflow(record.byteCount)
            guard !overflowStart, !overflowEnd, end <= size else {
                throw GGUFError.tensorOutOfBounds(source: sourceName, tensor: record.name, start: overflowStart ? .max : start,
                                                  end: overflowStart || overflowEnd ? .max : end, fileSize: size)
            }
            return GGUFTensorInfo(name: record.name, dimensions: record.dimensions, type: record.type,
                                  offset: start, byteCount: record.byteCount, sourceIndex: sourceIndex)
        }
        return GGUFHeader(version: version, metadataKeys: keys, metadata: metadata, tensors: infos,
                          alignment: alignment, dataOffset: dataOffset)
    }

    // MARK: - Metadata values

    private func bound(_ count: UInt64, each: UInt64, _ field: String, at offset: UInt64) throws {
        let limit = cursor.remaining / each
        guard count <= limit else {
            throw GGUFError.implausibleCount(source: sourceName, field: field, offset: offset, count: count, limit: limit)
        }
    }

    private func readValue(rawType: UInt32, typeOffset: UInt64, field: @autoclosure () -> String) throws -> GGUFValue {
        guard let type = GGUFValueType(rawValue: rawType) else {
            throw GGUFError.unknownValueType(source: sourceName, field: field() + " type", offset: typeOffset, raw: rawType)
        }
        switch type {
        case .uint8: return .uint8(try cursor.uint8(field()))
        case .int8: return .int8(Int8(bitPattern: try cursor.uint8(field())))
        case .uint16: return .uint16(try cursor.uint16(field()))
        case .int16: return .int16(Int16(bitPattern: try cursor.uint16(field())))
        case .uint32: return .uint32(try cursor.uint32(field()))
        case .int32: return .int32(Int32(bitPattern: try cursor.uint32(field())))
        case .uint64: return .uint64(try cursor.uint64(field()))
        case .int64: return .int64(Int64(bitPattern: try cursor.uint64(field())))
        case .float32: return .float32(Float(bitPattern: try cursor.uint32(field())))
        case .float64: return .float64(Double(bitPattern: try cursor.uint64(field())))
        case .bool: return .bool(try cursor.uint8(field()) != 0)
        case .string: return .string(try cursor.string(field()))
        case .array: return .array(try readArray(field: field()))
        }
    }

    private func readArray(field: @autoclosure () -> String) throws -> GGUFArray {
        let typeOffset = cursor.position
        let rawType = try cursor.uint32(field() + " element type")
        guard let elementType = GGUFValueType(rawValue: rawType) else {
            throw GGUFError.unknownValueType(source: sourceName, field: field() + " element type", offset: typeOffset, raw: rawType)
        }
        guard elementType != .array else { throw GGUFError.arrayOfArrays(source: sourceName, field: field(), offset: typeOffset) }
        let countOffset = cursor.position
        let count64 = try cursor.uint64(field() + " count")
        guard count64 <= GGUFLimits.maxArrayLength else {
            throw GGUFError.overLimit(source: sourceName, field: field() + " count", offset: countOffset, count: count64,
                                      limit: GGUFLimits.maxArrayLength)
        }
        try bound(count64, each: UInt64(elementType.minimumEncodedSize), field() + " count", at: countOffset)
        let count = Int(count64)
        switch elementType {
        case .uint8: return GGUFArray(.uint8(try numbers(count, field())))
        case .int8: return GGUFArray(.int8(try numbers(count, field())))
        case .uint16: return GGUFArray(.uint16(try numbers(count, field())))
        case .int16: return GGUFArray(.int16(try numbers(count, field())))
        case .uint32: return GGUFArray(.uint32(try numbers(count, field())))
        case .int32: return GGUFArray(.int32(try numbers(count, field())))
        case .uint64: return GGUFArray(.uint64(try numbers(count, field())))
        case .int64: return GGUFArray(.int64(try numbers(count, field())))
        case .float32:
            let bits: [UInt32] = try numbers(count, field())
            return GGUFArray(.float32(bits.map(Float.init(bitPattern:))))
        case .float64:
            let bits: [UInt64] = try numbers(count, field())
            return GGUFArray(.float64(bits.map(Double.init(bitPattern:))))
        case .bool:
            let bytes: [UInt8] = try numbers(count, field())
            return GGUFArray(.bool(bytes.map { $0 != 0 }))
        case .string:
            var strings: [String] = []
            strings.reserveCapacity(Self.reservation(count64))
            for index in 0..<count { strings.append(try cursor.string(field() + " element \(index)")) }
            return GGUFArray(.string(strings))
        case .array:
            throw GGUFError.arrayOfArrays(source: sourceName, field: field(), offset: typeOffset)
        }
    }

    /// A run of little-endian integers copied straight into typed storage.
    private func numbers<T: FixedWidthInteger>(_ count: Int, _ field: @autoclosure () -> String) throws -> [T] {
        let byteCount = count * MemoryLayout<T>.size
        try cursor.require(UInt64(byteCount), field())
        var values = [T](repeating: 0, count: count)
        try values.withUnsafeMutableBytes { try cursor.bytes(into: $0, field()) }
        #if _endian(big)
        for i in values.indices { values[i] = T(littleEndian: values[i]) }
        #endif
        return values
    }

    // MARK: - Tensor infos

    private struct TensorRecord {
        var name: String
        var infoOffset: UInt64
        var dimensions: [UInt64]
        var type: GGMLType
        var relativeOffset: UInt64
        /// Where the offset field itself is stored, for errors about it.
        var offsetFieldOffset: UInt64
        var byteCount: UInt64
    }

    private func readTensorInfo(index: Int, alignment: UInt64) throws -> TensorRecord {
        let infoOffset = cursor.position
        let name = try cursor.string("tensor \(index) name", maxLength: GGUFLimits.maxTensorNameLength) { length, _ in
            .tensorNameTooLong(source: sourceName, index: index, offset: infoOffset, length: length)
        }
        let dimCountOffset = cursor.position
        let dimCount = try cursor.uint32("tensor '\(name)' dimension count")
        guard dimCount <= GGUFLimits.maxDimensions else {
            throw GGUFError.tooManyDimensions(source: sourceName, tensor: name, offset: dimCountOffset, count: dimCount)
        }
        let dimsOffset = cursor.position
        var dimensions: [UInt64] = []
        for axis in 0..<Int(dimCount) { dimensions.append(try cursor.uint64("tensor '\(name)' dimension \(axis)")) }
        let typeOffset = cursor.position
        let rawType = try cursor.uint32("tensor '\(name)' type")
        let offsetOffset = cursor.position
        let relativeOffset = try cursor.uint64("tensor '\(name)' data offset")

        func invalid(_ reason: String) -> GGUFError {
            .invalidDimensions(source: sourceName, tensor: name, offset: dimsOffset, dimensions: dimensions, reason: reason)
        }
        // ggml keeps dimensions and element counts in int64: a dimension must be a non-negative
        // int64 and, unless one is zero (an empty tensor, which ggml accepts), their product must
        // stay below Int64.max.
        for (axis, dim) in dimensions.enumerated() where dim > UInt64(Int64.max) {
            throw invalid("dimension \(axis) is negative as a signed 64-bit count")
        }
        var elements: UInt64 = 1
        if !dimensions.contains(0) {
            for dim in dimensions {
                let (product, overflow) = elements.multipliedReportingOverflow(by: dim)
                guard !overflow, product < UInt64(Int64.max) else { throw invalid("the element count overflows 63 bits") }
                elements = product
            }
        } else {
            elements = 0
        }
        guard let type = GGMLType(rawValue: rawType) else {
            throw GGUFError.unknownTensorType(source: sourceName, tensor: name, offset: typeOffset, raw: rawType)
        }
        let rowLength = dimensions.first ?? 1
        guard rowLength % UInt64(type.blockSize) == 0 else {
            throw invalid("rows of \(rowLength) elements are not whole \(type.name) blocks of \(type.blockSize)")
        }
        guard let byteCount = type.bytes(forElements: elements) else { throw invalid("the byte size overflows 64 bits") }
        guard relativeOffset % alignment == 0 else {
            throw GGUFError.misalignedTensor(source: sourceName, tensor: name, offset: offsetOffset,
                                              dataOffset: relativeOffset, alignment: alignment)
        }
        return TensorRecord(name: name, infoOffset: infoOffset, dimensions: dimensions, type: type,
                            relativeOffset: relativeOffset, offsetFieldOffset: offsetOffset, byteCount: byteCount)
    }

    /// ggml requires each tensor's data to start exactly where the previous one's, padded to the
    /// alignment, ends: no gaps, no overlaps, in the order listed. An overlap names the tensor
    /// whose data is overlapped; anything else that breaks the order is a gap.
    private static func checkBackToBack(_ tensors: [TensorRecord], alignment: UInt64, source: String) throws {
        var expected: UInt64 = 0
        for (index, record) in tensors.enumerated() {
            if record.relativeOffset < expected {
                let earlier = tensors[..<index]
                let overlapped = earlier.last { $0.relativeOffset <= record.relativeOffset && record.relativeOffset < $0.relativeOffset + $0.byteCount }
                    ?? earlier.last!
                throw GGUFError.tensorOverlap(source: source, tensor: record.name, offset: record.offsetFieldOffset,
                                              dataOffset: record.relativeOffset, other: overlapped.name,
                                              otherStart: overlapped.relativeOffset,
                                              otherEnd: overlapped.relativeOffset + overlapped.byteCount)
            }
            guard record.relativeOffset == expected else {
                throw GGUFError.tensorGap(source: source, tensor: record.name, offset: record.offsetFieldOffset,
                                          dataOffset: record.relativeOffset, expected: expected)
            }
            let (end, overflow) = record.relativeOffset.addingReportingOverflow(record.byteCount)
            guard !overflow, end <= UInt64.max - alignment else {
                throw GGUFError.tensorOutOfBounds(source: source, tensor: record.name, start: record.relativeOffset, end: .max, fileSize: 0)
            }
            expected = align(end, to: alignment)
        }
    }

    // MARK: - Alignment

    static func alignment(in metadata: [String: GGUFValue], source: String, entryOffset: UInt64 = 0) throws -> UInt64 {
        guard let value = metadata["general.alignment"] else { return defaultAlignment }
        guard case .uint32(let raw) = value else {
            throw GGUFError.badAlignment(source: source, offset: entryOffset, detail: "has type \(value.type), not uint32")
        }
        guard raw > 0, raw & (raw - 1) == 0 else {
            throw GGUFError.badAlignment(source: source, offset: entryOffset, detail: "is \(raw), not a power of two")
        }
        return UInt64(raw)
    }

    static func align(_ offset: UInt64, to alignment: UInt64) -> UInt64 {
        let remainder = offset % alignment
        return remainder == 0 ? offset : offset + (alignment - remainder)
    }
}
