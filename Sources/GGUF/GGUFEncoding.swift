/// Appends GGUF's little-endian encodings to a byte array: the one place that knows how a value,
/// a string or a tensor info looks on disk when writing.
struct GGUFEncoder {
    var bytes: [UInt8] = []

    mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func append(string: String) {
        let utf8 = Array(string.utf8)
        append(UInt64(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    /// A value without its type tag.
    mutating func append(value: GGUFValue) {
        switch value {
        case .uint8(let v): append(v)
        case .int8(let v): append(v)
        case .uint16(let v): append(v)
        case .int16(let v): append(v)
        case .uint32(let v): append(v)
        case .int32(let v): append(v)
        case .uint64(let v): append(v)
        case .int64(let v): append(v)
        case .float32(let v): append(v.bitPattern)
        case .float64(let v): append(v.bitPattern)
        case .bool(let v): append(UInt8(v ? 1 : 0))
        case .string(let v): append(string: v)
        case .array(let a): append(array: a)
        }
    }

    /// An array: element type, count, elements.
    mutating func append(array: GGUFArray) {
        append(array.elementType.rawValue)
        append(UInt64(array.count))
        switch array.storage {
        case .uint8(let a): bytes.append(contentsOf: a)
        case .int8(let a): for v in a { append(v) }
        case .uint16(let a): for v in a { append(v) }
        case .int16(let a): for v in a { append(v) }
        case .uint32(let a): for v in a { append(v) }
        case .int32(let a): for v in a { append(v) }
        case .uint64(let a): for v in a { append(v) }
        case .int64(let a): for v in a { append(v) }
        case .float32(let a): for v in a { append(v.bitPattern) }
        case .float64(let a): for v in a { append(v.bitPattern) }
        case .bool(let a): for v in a { append(UInt8(v ? 1 : 0)) }
        case .string(let a): for v in a { append(string: v) }
        case .array(let a): for v in a { append(array: v) }
        }
    }

    /// A key-value pair: key, type tag, value.
    mutating func append(key: String, value: GGUFValue) {
        append(string: key)
        append(value.type.rawValue)
        append(value: value)
    }

    /// A tensor info: name, dimension count, dimensions, type, offset relative to the data section.
    mutating func appendTensorInfo(name: String, dimensions: [UInt64], type: UInt32, offset: UInt64) {
        append(string: name)
        append(UInt32(dimensions.count))
        for d in dimensions { append(d) }
        append(type)
        append(offset)
    }

    mutating func pad(to alignment: Int) {
        let remainder = bytes.count % alignment
        if remainder != 0 { bytes.append(contentsOf: repeatElement(0, count: alignment - remainder)) }
    }
}
