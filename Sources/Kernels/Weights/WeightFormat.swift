/// The weight encodings the GPU kernels read, and the geometry of their repacked planes.
///
/// The raw value is the kernels' `WEIGHT_FORMAT` specialisation constant. Every format is read
/// in blocks of 32 values along a row; the data plane holds `vec4PerBlock` 16-byte words per
/// block, the scale plane (Q8_0 and MXFP4 only) one word per `blocksPerScaleWord` blocks, each
/// row padded to 16 bytes. See docs/kernels.md.
public enum WeightFormat: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case f32 = 0
    case f16 = 1
    case bf16 = 2
    case q8_0 = 3
    case mxfp4 = 4

    public var description: String {
        switch self {
        case .f32: return "f32"
        case .f16: return "f16"
        case .bf16: return "bf16"
        case .q8_0: return "q8_0"
        case .mxfp4: return "mxfp4"
        }
    }

    /// Values per ggml block in the file (1 for plain floats).
    public var ggmlBlockValues: Int {
        switch self {
        case .f32, .f16, .bf16: return 1
        case .q8_0, .mxfp4: return 32
        }
    }

    /// Bytes per ggml block in the file.
    public var ggmlBlockBytes: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16: return 2
        case .q8_0: return 34
        case .mxfp4: return 17
        }
    }

    /// Bytes of the raw ggml encoding of a `rows × cols` tensor.
    public func rawByteCount(rows: Int, cols: Int) -> Int {
        rows * (cols / ggmlBlockValues) * ggmlBlockBytes
    }

    /// 16-byte words of the data plane per 32-value block.
    public var vec4PerBlock: Int {
        switch self {
        case .f32: return 8
        case .f16, .bf16: return 4
        case .q8_0: return 2
        case .mxfp4: return 1
        }
    }

    /// Blocks whose scales share one 32-bit word of the scale plane (0: no scale plane).
    public var blocksPerScaleWord: Int {
        switch self {
        case .f32, .f16, .bf16: return 0
        case .q8_0: return 2
        case .mxfp4: return 4
        }
    }

    /// 32-bit words of the scale plane per row, padded to 16 bytes (0 for float formats).
    public func scaleWordsPerRow(cols: Int) -> Int {
        guard blocksPerScaleWord > 0 else { return 0 }
        let words = (cols / 32 + blocksPerScaleWord - 1) / blocksPerScaleWord
        return (words + 3) / 4 * 4
    }

    /// 16-byte words of the data plane per row.
    public func dataVec4PerRow(cols: Int) -> Int {
        cols / 32 * vec4PerBlock
    }
}
