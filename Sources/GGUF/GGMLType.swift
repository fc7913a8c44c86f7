/// The ggml tensor element types, with the raw values GGUF stores and ggml's block geometry.
///
/// Every type is listed, including those the engine cannot compute, so that sizes, offsets and
/// the `inspect` table are right for any file. Raw values 4, 5 (retired Q4_2/Q4_3) and 31–33,
/// 36–38 (retired interleaved repacks) are not valid in files and parse as unknown.
public enum GGMLType: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case f32 = 0, f16 = 1
    case q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8, q8_1 = 9
    case q2_K = 10, q3_K = 11, q4_K = 12, q5_K = 13, q6_K = 14, q8_K = 15
    case iq2_XXS = 16, iq2_XS = 17, iq3_XXS = 18, iq1_S = 19, iq4_NL = 20, iq3_S = 21, iq2_S = 22, iq4_XS = 23
    case i8 = 24, i16 = 25, i32 = 26, i64 = 27, f64 = 28
    case iq1_M = 29, bf16 = 30
    case tq1_0 = 34, tq2_0 = 35
    case mxfp4 = 39, nvfp4 = 40, q1_0 = 41

    /// Values per block and bytes per block, as ggml's type traits define them.
    /// (Q8_1 is 36 bytes in ggml: two fp16 plus 32 int8; older gguf-py tables say 40.)
    public var blockGeometry: (values: Int, bytes: Int) {
        switch self {
        case .f32: return (1, 4)
        case .f16, .bf16: return (1, 2)
        case .f64, .i64: return (1, 8)
        case .i8: return (1, 1)
        case .i16: return (1, 2)
        case .i32: return (1, 4)
        case .q4_0: return (32, 18)
        case .q4_1: return (32, 20)
        case .q5_0: return (32, 22)
        case .q5_1: return (32, 24)
        case .q8_0: return (32, 34)
        case .q8_1: return (32, 36)
        case .q2_K: return (256, 84)
        case .q3_K: return (256, 110)
        case .q4_K: return (256, 144)
        case .q5_K: return (256, 176)
        case .q6_K: return (256, 210)
        case .q8_K: return (256, 292)
        case .iq2_XXS: return (256, 66)
        case .iq2_XS: return (256, 74)
        case .iq3_XXS: return (256, 98)
        case .iq1_S: return (256, 50)
        case .iq4_NL: return (32, 18)
        case .iq3_S: return (256, 110)
        case .iq2_S: return (256, 82)
        case .iq4_XS: return (256, 136)
        case .iq1_M: return (256, 56)
        case .tq1_0: return (256, 54)
        case .tq2_0: return (256, 66)
        case .mxfp4: return (32, 17)
        case .nvfp4: return (64, 36)
        case .q1_0: return (128, 18)
        }
    }

    /// Values per block (1 for plain scalar types).
    public var blockSize: Int { blockGeometry.values }
    /// Bytes per block.
    public var typeSize: Int { blockGeometry.bytes }
    /// True for block-quantised types.
    public var isQuantized: Bool { blockGeometry.values > 1 }

    /// The name ggml prints (`Q8_0`, `MXFP4`, `IQ2_XXS`, ...).
    public var name: String {
        switch self {
        case .f32: return "F32"
        case .f16: return "F16"
        case .bf16: return "BF16"
        case .f64: return "F64"
        case .i8: return "I8"
        case .i16: return "I16"
        case .i32: return "I32"
        case .i64: return "I64"
        case .q4_0: return "Q4_0"
        case .q4_1: return "Q4_1"
        case .q5_0: return "Q5_0"
        case .q5_1: return "Q5_1"
        case .q8_0: return "Q8_0"
        case .q8_1: return "Q8_1"
        case .q2_K: return "Q2_K"
        case .q3_K: return "Q3_K"
        case .q4_K: return "Q4_K"
        case .q5_K: return "Q5_K"
        case .q6_K: return "Q6_K"
        case .q8_K: return "Q8_K"
        case .iq2_XXS: return "IQ2_XXS"
        case .iq2_XS: return "IQ2_XS"
        case .iq3_XXS: return "IQ3_XXS"
        case .iq1_S: return "IQ1_S"
        case .iq4_NL: return "IQ4_NL"
        case .iq3_S: return "IQ3_S"
        case .iq2_S: return "IQ2_S"
        case .iq4_XS: return "IQ4_XS"
        case .iq1_M: return "IQ1_M"
        case .tq1_0: return "TQ1_0"
        case .tq2_0: return "TQ2_0"
        case .mxfp4: return "MXFP4"
        case .nvfp4: return "NVFP4"
        case .q1_0: return "Q1_0"
        }
    }

    public var description: String { name }

    /// Looks a type up by its ggml name, case-insensitively (`q8_0`, `MXFP4`).
    public init?(name: String) {
        let wanted = name.uppercased()
        guard let found = GGMLType.allCases.first(where: { $0.name == wanted }) else { return nil }
        self = found
    }

    /// Bytes taken by `count` elements, or nil when `count` is not a whole number of blocks or
    /// the size would overflow 64 bits.
    public func bytes(forElements count: UInt64) -> UInt64? {
        let (values, bytes) = blockGeometry
        guard count % UInt64(values) == 0 else { return nil }
        let (total, overflow) = (count / UInt64(values)).multipliedReportingOverflow(by: UInt64(bytes))
        return overflow ? nil : total
    }

    /// Bytes taken by a row of `count` elements (the unit ggml quantises): nil when the row is
    /// not a whole number of blocks.
    public func rowBytes(forElements count: Int) -> Int? {
        guard count >= 0, let total = bytes(forElements: UInt64(count)) else { return nil }
        return Int(exactly: total)
    }
}
