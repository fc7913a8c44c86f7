/// ggml's encodings read straight from file bytes: the CPU side's dequantisers (used by the
/// references and by anyone who needs a tensor as floats) and small encoders for tests and
/// synthetic weights.
public enum GGMLBlocks {
    /// MXFP4 nibble codes as doubled E2M1 values (so the E8M0 scale is halved: 2^(e-128)).
    static let mxfp4Table: [Float] = [0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12]

    static func mxfp4Value(code: UInt8, exponent: UInt8) -> Float {
        // Scales under 2^-126 are flushed to zero, as the kernels do (no subnormal scales).
        guard exponent >= 2 else { return 0 }
        return mxfp4Table[Int(code & 0xf)] * Float(sign: .plus, exponent: Int(exponent) - 128, significand: 1)
    }

    /// Decodes a `rows × cols` tensor of raw ggml bytes into floats, row-major.
    public static func dequantize(raw: UnsafeRawBufferPointer, format: WeightFormat, rows: Int, cols: Int,
                                  tensor: String = "tensor") throws -> [Float] {
        guard cols % format.ggmlBlockValues == 0 else {
            throw KernelsError.unsupportedShape(tensor: tensor, format: format, cols: cols)
        }
        let expected = format.rawByteCount(rows: rows, cols: cols)
        guard raw.count == expected else {
            throw KernelsError.rawSizeMismatch(tensor: tensor, format: format, rows: rows, cols: cols,
                                               expected: expected, found: raw.count)
        }
        let n = rows * cols
        var out = [Float](repeating: 0, count: n)
        func u16(_ at: Int) -> UInt16 { UInt16(raw[at]) | UInt16(raw[at + 1]) << 8 }
        switch format {
        case .f32:
            out.withUnsafeMutableBytes { $0.copyMemory(from: raw) }
        case .f16:
            for i in 0 ..< n { out[i] = HalfFloat.float(fromHalf: u16(2 * i)) }
        case .bf16:
            for i in 0 ..< n { out[i] = HalfFloat.float(fromBFloat: u16(2 * i)) }
        case .q8_0:
            for block in 0 ..< n / 32 {
                let base = block * 34
                let scale = HalfFloat.float(fromHalf: u16(base))
                for j in 0 ..< 32 {
                    out[block * 32 + j] = scale * Float(Int8(bitPattern: raw[base + 2 + j]))
                }
            }
        case .mxfp4:
            for block in 0 ..< n / 32 {
                let base = block * 17
                let e = raw[base]
                for j in 0 ..< 16 {
                    let byte = raw[base + 1 + j]
                    out[block * 32 + j] = mxfp4Value(code: byte & 0xf, exponent: e)
                    out[block * 32 + j + 16] = mxfp4Value(code: byte >> 4, exponent: e)
                }
            }
        }
        return out
    }

    public static func dequantize(raw: [UInt8], format: WeightFormat, rows: Int, cols: Int,
                                  tensor: String = "tensor") throws -> [Float] {
        try raw.withUnsafeBytes { try dequantize(raw: $0, format: format, rows: rows, cols: cols, tensor: tensor) }
    }

    /// Encodes floats (length a multiple of 32 for block formats) the way ggml's reference
    /// quantisers do for F32, F16, BF16 and Q8_0 (scale = max|x| / 127, round to nearest).
    /// MXFP4 encoding is not offered: tests draw MXFP4 bytes directly.
    public static func encode(_ values: [Float], as format: WeightFormat) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(format.rawByteCount(rows: 1, cols: values.count))
        func put16(_ v: UInt16) { out.append(UInt8(v & 0xff)); out.append(UInt8(v >> 8)) }
        switch format {
        case .f32:
            for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        case .f16:
            for v in values { put16(HalfFloat.half(fromFloat: v)) }
        case .bf16:
            for v in values { put16(HalfFloat.bfloat(fromFloat: v)) }
        case .q8_0:
            guard values.count % 32 == 0 else {
                throw KernelsError.unsupportedShape(tensor: "encoded values", format: format, cols: values.count)
            }
            for block in stride(from: 0, to: values.count, by: 32) {
                let chunk = values[block ..< block + 32]
                let amax = chunk.map { abs($0) }.max() ?? 0
                let scale = amax / 127
                let inverse: Float = scale == 0 ? 0 : 1 / scale
                put16(HalfFloat.half(fromFloat: scale))
                for v in chunk { out.append(UInt8(bitPattern: Int8((v * inverse).rounded()))) }
            }
        case .mxfp4:
            throw KernelsError.invalidArgument(kernel: "GGMLBlocks.encode", message: "MXFP4 encoding is not provided; build MXFP4 blocks from codes and exponents")
        }
        return out
    }
}
