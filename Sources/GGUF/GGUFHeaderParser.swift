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
/// Every count and length is bounded by the bytes left in the source before anything is
/// allocated, so a corrupt or hostile file fails fast with the field and offset named instead of
/// exhausting memory. Layout (GGUF v2/v3, little-endian): "GGUF", u32 version, u64 tensor count,
/// u64 metadata count, metadata (string key, u32 type, value)…, tensor infos (string name,
/// u32 n_dims, u64 dims…, u32 ggml type, u64 offset)…, padding to the alignment, data.
struct GGUFHeaderParser {
    static let magic: [UInt8] = Array("GGUF".utf8)
    static let defaultAlignment: UInt64 = 32
    /// Smallest encodings, used to bound counts: key length + type + 1-byte value; name length +
    /// n_dims + type + offset.
    static let minimumMetadataEntrySize: UInt64 = 8 + 4 + 1
    static let minimumTensorInfoSize: UInt64 = 8 + 4 + 4 + 8

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
        keys.reserveCapacity(Int(metadataCount))
        var metadata: [String: GGUFValue] = [:]
        metadata.reserveCapacity(Int(metadataCount))
        for index in 0..<Int(metadataCount) {
            let keyOffset = cursor.position
            let key = try cursor.string("metadata entry \(index) key", maxLength: GGUFLimits.maxNameLength)
            let typeOffset = cursor.position
            let rawType = try cursor.uint32("metadata '\(key)' type")
            let value = try readValue(rawType: rawType, typeOffset: typeOffset, field: "metadata '\(key)'", depth: 0)
            guard metadata.updateValue(value, forKey: key) == nil else {
                throw GGUFError.duplicateKey(source: sourceName, key: key, offset: keyOffset)
            }
            keys.append(key)
        }

        let alignment = try Self.alignment(in: metadata, source: sourceName)
        var tensors: [TensorRecord] = []
        tensors.reserveCapacity(Int(tensorCount))
        var seen = Set<String>(minimumCapacity: Int(tensorCount))
        for index in 0..<Int(tensorCount) {
            let record = try readTensorInfo(index: index, alignment: alignment)
            guard seen.insert(record.name).inserted else {
                throw GGUFError.duplicateTensor(source: sourceName, tensor: record.name, offset: record.infoOffset)
            }
            tensors.append(record)
        }

        let dataOffset = Self.align(cursor.position, to: alignment)
        let size = cursor.source.size
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

    private func readValue(rawType: UInt32, typeOffset: UInt64, field: @autoclosure () -> String, depth: Int) throws -> GGUFValue {
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
        case .array: return .array(try readArray(field: field(), depth: depth))
        }
    }

    private func readArray(field: @autoclosure () -> String, depth: Int) throws -> GGUFArray {
        let typeOffset = cursor.position
        guard depth < GGUFLimits.maxArrayNesting else {
            throw GGUFError.nestingTooDeep(source: sourceName, field: field(), offset: typeOffset)
        }
        let rawType = try cursor.uint32(field() + " element type")
        guard let elementType = GGUFValueType(rawValue: rawType) else {
            throw GGUFError.unknownValueType(source: sourceName, field: field() + " element type", offset: typeOffset, raw: rawType)
        }
        let countOffset = cursor.position
        let count64 = try cursor.uint64(field() + " count")
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
            strings.reserveCapacity(count)
            for index in 0..<count { strings.append(try cursor.string(field() + " element \(index)")) }
            return GGUFArray(.string(strings))
        case .array:
            var arrays: [GGUFArray] = []
            arrays.reserveCapacity(count)
            for index in 0..<count {
                arrays.append(try readArray(field: field() + " element \(index)", depth: depth + 1))
            }
            return GGUFArray(.array(arrays))
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
        var byteCount: UInt64
    }

    private func readTensorInfo(index: Int, alignment: UInt64) throws -> TensorRecord {
        let infoOffset = cursor.position
        let name = try cursor.string("tensor \(index) name", maxLength: GGUFLimits.maxNameLength)
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
        // ggml keeps dimensions and element counts in int64.
        var elements: UInt64 = 1
        for (axis, dim) in dimensions.enumerated() {
            guard dim > 0 else { throw invalid("dimension \(axis) is zero") }
            let (product, overflow) = elements.multipliedReportingOverflow(by: dim)
            guard !overflow, product <= UInt64(Int64.max) else { throw invalid("the element count overflows 63 bits") }
            elements = product
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
                            relativeOffset: relativeOffset, byteCount: byteCount)
    }

    // MARK: - Alignment

    static func alignment(in metadata: [String: GGUFValue], source: String) throws -> UInt64 {
        guard let value = metadata["general.alignment"] else { return defaultAlignment }
        guard case .uint32(let raw) = value else {
            throw GGUFError.badAlignment(source: source, detail: "has type \(value.type), not uint32")
        }
        guard raw > 0, raw & (raw - 1) == 0 else { throw GGUFError.badAlignment(source: source, detail: "is \(raw)") }
        return UInt64(raw)
    }

    static func align(_ offset: UInt64, to alignment: UInt64) -> UInt64 {
        let remainder = offset % alignment
        return remainder == 0 ? offset : offset + (alignment - remainder)
    }
}
