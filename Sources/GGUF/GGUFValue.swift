/// The type tags GGUF writes before every metadata value (and once per array for its elements).
public enum GGUFValueType: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6
    case bool = 7, string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12

    /// Bytes of one value for fixed-size types; nil for strings and arrays.
    public var fixedSize: Int? {
        switch self {
        case .uint8, .int8, .bool: return 1
        case .uint16, .int16: return 2
        case .uint32, .int32, .float32: return 4
        case .uint64, .int64, .float64: return 8
        case .string, .array: return nil
        }
    }

    /// The fewest bytes one value of this type can take in a file (a string's length field,
    /// an array's type and count), used to bound counts before allocating.
    public var minimumEncodedSize: Int { fixedSize ?? (self == .string ? 8 : 12) }

    public var description: String {
        switch self {
        case .uint8: return "uint8"
        case .int8: return "int8"
        case .uint16: return "uint16"
        case .int16: return "int16"
        case .uint32: return "uint32"
        case .int32: return "int32"
        case .float32: return "float32"
        case .bool: return "bool"
        case .string: return "string"
        case .array: return "array"
        case .uint64: return "uint64"
        case .int64: return "int64"
        case .float64: return "float64"
        }
    }
}

/// One metadata value.
public indirect enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case uint64(UInt64), int64(Int64), float32(Float), float64(Double), bool(Bool), string(String)
    case array(GGUFArray)

    /// The GGUF type tag of this value.
    public var type: GGUFValueType {
        switch self {
        case .uint8: return .uint8
        case .int8: return .int8
        case .uint16: return .uint16
        case .int16: return .int16
        case .uint32: return .uint32
        case .int32: return .int32
        case .uint64: return .uint64
        case .int64: return .int64
        case .float32: return .float32
        case .float64: return .float64
        case .bool: return .bool
        case .string: return .string
        case .array: return .array
        }
    }

    /// Any integer value as Int, when it fits.
    public var intValue: Int? {
        switch self {
        case .uint8(let v): return Int(v)
        case .int8(let v): return Int(v)
        case .uint16(let v): return Int(v)
        case .int16(let v): return Int(v)
        case .uint32(let v): return Int(v)
        case .int32(let v): return Int(v)
        case .uint64(let v): return Int(exactly: v)
        case .int64(let v): return Int(exactly: v)
        default: return nil
        }
    }

    /// Any numeric value as Double (integers convert exactly where they can).
    public var doubleValue: Double? {
        switch self {
        case .float32(let v): return Double(v)
        case .float64(let v): return v
        default: return intValue.map(Double.init)
        }
    }

    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var arrayValue: GGUFArray? { if case .array(let a) = self { return a } else { return nil } }
}

/// A metadata array: one element type and the values, kept in typed storage so that a
/// 200 000-string vocabulary or a token-type table costs one Swift array, not one enum per item.
public struct GGUFArray: Sendable, Equatable {
    public enum Storage: Sendable, Equatable {
        case uint8([UInt8]), int8([Int8]), uint16([UInt16]), int16([Int16]), uint32([UInt32]), int32([Int32])
        case uint64([UInt64]), int64([Int64]), float32([Float]), float64([Double]), bool([Bool]), string([String])
        /// Arrays of arrays: each inner array carries its own element type.
        case array([GGUFArray])
    }

    public let storage: Storage

    public init(_ storage: Storage) { self.storage = storage }

    /// The element type tag.
    public var elementType: GGUFValueType {
        switch storage {
        case .uint8: return .uint8
        case .int8: return .int8
        case .uint16: return .uint16
        case .int16: return .int16
        case .uint32: return .uint32
        case .int32: return .int32
        case .uint64: return .uint64
        case .int64: return .int64
        case .float32: return .float32
        case .float64: return .float64
        case .bool: return .bool
        case .string: return .string
        case .array: return .array
        }
    }

    public var count: Int {
        switch storage {
        case .uint8(let a): return a.count
        case .int8(let a): return a.count
        case .uint16(let a): return a.count
        case .int16(let a): return a.count
        case .uint32(let a): return a.count
        case .int32(let a): return a.count
        case .uint64(let a): return a.count
        case .int64(let a): return a.count
        case .float32(let a): return a.count
        case .float64(let a): return a.count
        case .bool(let a): return a.count
        case .string(let a): return a.count
        case .array(let a): return a.count
        }
    }

    /// Element `index` as a value (for display and generic code; typed accessors are faster).
    public subscript(index: Int) -> GGUFValue {
        switch storage {
        case .uint8(let a): return .uint8(a[index])
        case .int8(let a): return .int8(a[index])
        case .uint16(let a): return .uint16(a[index])
        case .int16(let a): return .int16(a[index])
        case .uint32(let a): return .uint32(a[index])
        case .int32(let a): return .int32(a[index])
        case .uint64(let a): return .uint64(a[index])
        case .int64(let a): return .int64(a[index])
        case .float32(let a): return .float32(a[index])
        case .float64(let a): return .float64(a[index])
        case .bool(let a): return .bool(a[index])
        case .string(let a): return .string(a[index])
        case .array(let a): return .array(a[index])
        }
    }

    /// All elements as values.
    public var values: [GGUFValue] { (0..<count).map { self[$0] } }

    public var strings: [String]? { if case .string(let a) = storage { return a } else { return nil } }

    /// Integer elements widened to Int (nil for non-integer arrays or values that do not fit).
    public var ints: [Int]? {
        switch storage {
        case .uint8(let a): return a.map(Int.init)
        case .int8(let a): return a.map(Int.init)
        case .uint16(let a): return a.map(Int.init)
        case .int16(let a): return a.map(Int.init)
        case .uint32(let a): return a.map(Int.init)
        case .int32(let a): return a.map(Int.init)
        case .uint64(let a):
            var out = [Int](); out.reserveCapacity(a.count)
            for v in a { guard let i = Int(exactly: v) else { return nil }; out.append(i) }
            return out
        case .int64(let a): return a.map(Int.init)
        default: return nil
        }
    }

    /// Numeric elements as Float (nil for strings, bools and nested arrays).
    public var floats: [Float]? {
        switch storage {
        case .float32(let a): return a
        case .float64(let a): return a.map(Float.init)
        default: return ints?.map(Float.init)
        }
    }
}
