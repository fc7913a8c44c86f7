import Kernels

/// One layer's expert stack kept in host memory, already in the GPU layout: expert e's rows are
/// one contiguous slice of each plane, so loading it into a GPU slot is two plain copies.
public final class HostExperts {
    public let format: WeightFormat
    public let cols: Int
    public let experts: Int
    public let rowsPerExpert: Int
    let scaleRowBytes: Int
    let dataRowBytes: Int
    /// [experts · rowsPerExpert] rows of the scale plane (unused for float formats) and data plane.
    let scales: UnsafeMutableRawBufferPointer
    let data: UnsafeMutableRawBufferPointer

    init(format: WeightFormat, cols: Int, experts: Int, rowsPerExpert: Int) {
        self.format = format; self.cols = cols; self.experts = experts; self.rowsPerExpert = rowsPerExpert
        scaleRowBytes = format.scaleWordsPerRow(cols: cols) * 4
        dataRowBytes = format.dataVec4PerRow(cols: cols) * 16
        scales = .allocate(byteCount: max(16, scaleRowBytes * rowsPerExpert * experts), alignment: 64)
        data = .allocate(byteCount: dataRowBytes * rowsPerExpert * experts, alignment: 64)
    }

    deinit {
        scales.deallocate()
        data.deallocate()
    }

    var scaleBytesPerExpert: Int { scaleRowBytes * rowsPerExpert }
    var dataBytesPerExpert: Int { dataRowBytes * rowsPerExpert }
    /// Bytes of host memory held.
    public var byteCount: Int { (scaleBytesPerExpert + dataBytesPerExpert) * experts }

    /// Copies expert `expert` into slot `slot` of `pool` (a `GPUExperts` of the same geometry).
    func load(expert: Int, into pool: GPUExperts, slot: Int) throws {
        guard let (chunk, row) = pool.weights.chunk(holding: slot * rowsPerExpert) else {
            throw GPTOSSError.badSequence("expert slot \(slot) is outside the pool '\(pool.weights.label)'")
        }
        if scaleBytesPerExpert > 0 {
            try chunk.scales.upload(UnsafeRawBufferPointer(rebasing: scales[expert * scaleBytesPerExpert ..< (expert + 1) * scaleBytesPerExpert]),
                                    at: row * scaleRowBytes)
        }
        try chunk.data.upload(UnsafeRawBufferPointer(rebasing: data[expert * dataBytesPerExpert ..< (expert + 1) * dataBytesPerExpert]),
                              at: row * dataRowBytes)
    }
}
