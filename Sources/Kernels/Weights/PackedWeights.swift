/// A weight matrix (or a stack of expert matrices) in the kernels' GPU layout, still on the CPU.
///
/// Rows are `cols` values long, cut into 32-value blocks. The data plane holds
/// `dataVec4PerRow` 16-byte words per row (`data` as 32-bit words, four per 16-byte word); the
/// scale plane holds `scaleWordsPerRow` 32-bit words per row (Q8_0: two f16 scales a word, block
/// 2i in the low half; MXFP4: four E8M0 bytes a word, block 4i in the low byte). Float formats
/// keep their file bytes as they are and have no scale plane.
public struct PackedWeights: Sendable {
    public let format: WeightFormat
    public let rows: Int
    public let cols: Int
    public let scaleWordsPerRow: Int
    public let dataVec4PerRow: Int
    public var scales: [UInt32]
    public var data: [UInt32]

    public var dataWordsPerRow: Int { dataVec4PerRow * 4 }

    /// Checks that the kernels can read rows of `cols` values in `format`.
    public static func validate(format: WeightFormat, cols: Int, tensor: String) throws {
        guard cols > 0, cols % 32 == 0 else {
            throw KernelsError.unsupportedShape(tensor: tensor, format: format, cols: cols)
        }
    }

    /// Repacks the raw ggml bytes of a `rows × cols` tensor (row-major, ggml's own block
    /// encoding) into the GPU planes. An expert stack `[cols, rows, E]` is `rows·E` rows.
    public static func repack(raw: UnsafeRawBufferPointer, format: WeightFormat, rows: Int, cols: Int,
                              tensor: String = "tensor") throws -> PackedWeights {
        try validate(format: format, cols: cols, tensor: tensor)
        let expected = format.rawByteCount(rows: rows, cols: cols)
        guard raw.count == expected else {
            throw KernelsError.rawSizeMismatch(tensor: tensor, format: format, rows: rows, cols: cols,
                                               expected: expected, found: raw.count)
        }
        let scaleWords = format.scaleWordsPerRow(cols: cols)
        let dataWords = format.dataVec4PerRow(cols: cols) * 4
        var scales = [UInt32](repeating: 0, count: scaleWords * rows)
        var data = [UInt32](repeating: 0, count: dataWords * rows)
        let blocks = cols / 32
        switch format {
        case .f32, .f16, .bf16:
            data.withUnsafeMutableBytes { $0.copyMemory(from: raw) }
        case .q8_0:
            scales.withUnsafeMutableBufferPointer { scalePlane in
                data.withUnsafeMutableBytes { dataPlane in
                    for row in 0 ..< rows {
                        for b in 0 ..< blocks {
                            let src = (row * blocks + b) * 34
                            let half = UInt32(raw[src]) | UInt32(raw[src + 1]) << 8
                            scalePlane[row * scaleWords + b / 2] |= half << (16 * UInt32(b & 1))
                            let dst = (row * dataWords + b * 8) * 4
                            dataPlane.baseAddress!.advanced(by: dst)
                                .copyMemory(from: raw.baseAddress!.advanced(by: src + 2), byteCount: 32)
                        }
                    }
                }
            }
        case .mxfp4:
            scales.withUnsafeMutableBufferPointer { scalePlane in
                data.withUnsafeMutableBytes { dataPlane in
                    for row in 0 ..< rows {
                        for b in 0 ..< blocks {
                            let src = (row * blocks + b) * 17
                            scalePlane[row * scaleWords + b / 4] |= UInt32(raw[src]) << (8 * UInt32(b & 3))
                            let dst = (row * dataWords + b * 4) * 4
                            dataPlane.baseAddress!.advanced(by: dst)
                                .copyMemory(from: raw.baseAddress!.advanced(by: src + 1), byteCount: 16)
                        }
                    }
                }
            }
        }
        return PackedWeights(format: format, rows: rows, cols: cols, scaleWordsPerRow: scaleWords,
                             dataVec4PerRow: dataWords / 4, scales: scales, data: data)
    }

    public static func repack(raw: [UInt8], format: WeightFormat, rows: Int, cols: Int,
                              tensor: String = "tensor") throws -> PackedWeights {
        try raw.withUnsafeBytes { try repack(raw: $0, format: format, rows: rows, cols: cols, tensor: tensor) }
    }

    /// Joins matrices of one format and row length row-wise (e.g. an expert's gate rows, then
    /// its up rows, for the fused gate/up kernel).
    public static func concatenatingRows(_ parts: [PackedWeights]) throws -> PackedWeights {
        guard let first = parts.first else {
            throw KernelsError.invalidArgument(kernel: "concatenatingRows", message: "no matrices to join")
        }
        for part in parts where part.format != first.format || part.cols != first.cols {
            throw KernelsError.invalidArgument(kernel: "concatenatingRows",
                message: "cannot join \(part.format) rows of \(part.cols) values to \(first.format) rows of \(first.cols)")
        }
        return PackedWeights(format: first.format, rows: parts.reduce(0) { $0 + $1.rows }, cols: first.cols,
                             scaleWordsPerRow: first.scaleWordsPerRow, dataVec4PerRow: first.dataVec4PerRow,
                             scales: parts.flatMap(\.scales), data: parts.flatMap(\.data))
    }

    /// Rows `range` as their own matrix.
    public func rows(_ range: Range<Int>) -> PackedWeights {
        PackedWeights(format: format, rows: range.count, cols: cols, scaleWordsPerRow: scaleWordsPerRow,
                      dataVec4PerRow: dataVec4PerRow,
                      scales: Array(scales[range.lowerBound * scaleWordsPerRow ..< range.upperBound * scaleWordsPerRow]),
                      data: Array(data[range.lowerBound * dataWordsPerRow ..< range.upperBound * dataWordsPerRow]))
    }

    /// Decodes row `row` from the planes (the CPU's view of exactly what the GPU reads).
    public func dequantizedRow(_ row: Int) -> [Float] {
        var out = [Float](repeating: 0, count: cols)
        let d0 = row * dataWordsPerRow
        let s0 = row * scaleWordsPerRow
        switch format {
        case .f32:
            for c in 0 ..< cols { out[c] = Float(bitPattern: data[d0 + c]) }
        case .f16:
            for c in 0 ..< cols {
                out[c] = HalfFloat.float(fromHalf: UInt16(truncatingIfNeeded: data[d0 + c / 2] >> (16 * UInt32(c & 1))))
            }
        case .bf16:
            for c in 0 ..< cols {
                out[c] = HalfFloat.float(fromBFloat: UInt16(truncatingIfNeeded: data[d0 + c / 2] >> (16 * UInt32(c & 1))))
            }
        case .q8_0:
            for c in 0 ..< cols {
                let b = c / 32
                let scale = HalfFloat.float(fromHalf: UInt16(truncatingIfNeeded: scales[s0 + b / 2] >> (16 * UInt32(b & 1))))
                let q = Int8(bitPattern: UInt8(truncatingIfNeeded: data[d0 + c / 4] >> (8 * UInt32(c & 3))))
                out[c] = scale * Float(q)
            }
        case .mxfp4:
            for c in 0 ..< cols {
                let b = c / 32, j = c % 32
                let e = UInt8(truncatingIfNeeded: scales[s0 + b / 4] >> (8 * UInt32(b & 3)))
                let byteIndex = j % 16
                let byte = UInt8(truncatingIfNeeded: data[d0 + b * 4 + byteIndex / 4] >> (8 * UInt32(byteIndex & 3)))
                let code = j < 16 ? byte & 0xf : byte >> 4
                out[c] = GGMLBlocks.mxfp4Value(code: code, exponent: e)
            }
        }
        return out
    }

    /// All rows decoded, row-major.
    public func dequantized() -> [Float] {
        (0 ..< rows).flatMap { dequantizedRow($0) }
    }
}
