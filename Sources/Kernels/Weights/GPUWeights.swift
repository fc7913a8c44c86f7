import GLES

/// A repacked weight matrix on the GPU, split into row ranges that each fit one storage binding.
///
/// Launchers bind one chunk at a time (one dispatch per chunk), so callers never see the split.
/// `rowsPerUnit` keeps units whole: an expert stack uses the rows of one expert, so a chunk
/// always holds whole experts.
public final class GPUWeights {
    public struct Chunk {
        /// First matrix row held by this chunk.
        public let rowStart: Int
        public let rowCount: Int
        /// Scale plane (a 16-byte placeholder for float formats, which have none).
        public let scales: GPUBuffer
        public let data: GPUBuffer
    }

    public let label: String
    public let format: WeightFormat
    public let rows: Int
    public let cols: Int
    public let rowsPerUnit: Int
    public let scaleWordsPerRow: Int
    public let dataVec4PerRow: Int
    public let chunks: [Chunk]
    /// Seconds the upload spent filling the planes (repacking) and moving them to the driver.
    public let fillSeconds: Double
    public let transferSeconds: Double

    /// Bytes on the GPU (both planes, all chunks).
    public var byteCount: Int { chunks.reduce(0) { $0 + $1.scales.byteCount + $1.data.byteCount } }

    /// Uploads `packed`, cutting it into chunks of whole units no larger than `maxChunkBytes`
    /// per binding (default: the device's storage block limit).
    public convenience init(context: GLContext, packed: PackedWeights, label: String, rowsPerUnit: Int = 1,
                            maxChunkBytes: Int? = nil) throws {
        try self.init(context: context, format: packed.format, rows: packed.rows, cols: packed.cols, label: label,
                      rowsPerUnit: rowsPerUnit, maxChunkBytes: maxChunkBytes) { rows, scales, data in
            packed.scales.withUnsafeBytes { plane in
                let bytes = packed.scaleWordsPerRow * 4
                if let scales, bytes > 0 {
                    scales.copyMemory(from: plane.baseAddress! + rows.lowerBound * bytes, byteCount: rows.count * bytes)
                }
            }
            packed.data.withUnsafeBytes { plane in
                let bytes = packed.dataWordsPerRow * 4
                data.copyMemory(from: plane.baseAddress! + rows.lowerBound * bytes, byteCount: rows.count * bytes)
            }
        }
    }

    /// Allocates a `rows × cols` matrix in `format`, cut into chunks of whole units no larger
    /// than `maxChunkBytes` per binding, and fills each chunk through `fill(rows, scales, data)`:
    /// it must write every byte of the scale plane (nil for float formats) and the data plane of
    /// those rows. Without `fill` the buffers are left uninitialised (an expert pool).
    public init(context: GLContext, format: WeightFormat, rows: Int, cols: Int, label: String, rowsPerUnit: Int = 1,
                maxChunkBytes: Int? = nil, upload chosen: WeightUploadMethod? = nil, staging: StagingArea? = nil,
                fill: ((Range<Int>, UnsafeMutableRawPointer?, UnsafeMutableRawPointer) throws -> Void)?) throws {
        try PackedWeights.validate(format: format, cols: cols, tensor: label)
        let method = chosen ?? .current(for: context.limits)
        guard rowsPerUnit > 0, rows > 0, rows % rowsPerUnit == 0 else {
            throw KernelsError.invalidArgument(kernel: "GPUWeights",
                message: "'\(label)': \(rows) rows are not whole units of \(rowsPerUnit) rows")
        }
        let scaleWordsPerRow = format.scaleWordsPerRow(cols: cols)
        let dataVec4PerRow = format.dataVec4PerRow(cols: cols)
        let limit = min(maxChunkBytes ?? context.limits.maxShaderStorageBlockSize, context.limits.maxShaderStorageBlockSize)
        let unitBytes = max(scaleWordsPerRow, dataVec4PerRow * 4) * 4 * rowsPerUnit
        guard unitBytes <= limit else {
            throw KernelsError.unitOverBindingLimit(tensor: label, unitBytes: unitBytes, limit: limit)
        }
        let rowsPerChunk = max(1, limit / unitBytes) * rowsPerUnit
        var chunks: [Chunk] = []
        var start = 0
        var filling = 0.0, transferring = 0.0
        while start < rows {
            let count = min(rowsPerChunk, rows - start)
            let name = chunks.isEmpty && count == rows ? label : "\(label)[rows \(start)..<\(start + count)]"
            let scaleBytes = scaleWordsPerRow * 4 * count
            let scales = try context.makeBuffer(byteCount: scaleBytes > 0 ? scaleBytes : 16,
                                                label: scaleBytes > 0 ? "\(name).scales" : "\(name).scales (none)", usage: .staticData)
            let data = try context.makeBuffer(byteCount: dataVec4PerRow * 16 * count, label: "\(name).data", usage: .staticData)
            if let fill {
                let times = try method.write(rows: start ..< start + count, scales: scaleBytes > 0 ? scales : nil, data: data,
                                             staging: staging, fill: fill)
                filling += times.fill
                transferring += times.transfer
            }
            chunks.append(Chunk(rowStart: start, rowCount: count, scales: scales, data: data))
            start += count
        }
        self.label = label
        self.format = format
        self.rows = rows
        self.cols = cols
        self.rowsPerUnit = rowsPerUnit
        self.scaleWordsPerRow = scaleWordsPerRow
        self.dataVec4PerRow = dataVec4PerRow
        self.chunks = chunks
        fillSeconds = filling
        transferSeconds = transferring
    }

    /// The chunk holding row `row`, and the row's index within it.
    public func chunk(holding row: Int) -> (chunk: Chunk, row: Int)? {
        guard let chunk = chunks.first(where: { row >= $0.rowStart && row < $0.rowStart + $0.rowCount }) else { return nil }
        return (chunk, row - chunk.rowStart)
    }
}

/// A stack of `count` expert matrices of `rowsPerExpert` rows each (for the fused gate/up kernel
/// an expert's rows are its gate rows, then its up rows).
public final class GPUExperts {
    public let count: Int
    public let rowsPerExpert: Int
    public let weights: GPUWeights

    public init(context: GLContext, packed: PackedWeights, experts: Int, label: String, maxChunkBytes: Int? = nil) throws {
        guard experts > 0, packed.rows % experts == 0 else {
            throw KernelsError.invalidArgument(kernel: "GPUExperts", message: "'\(label)': \(packed.rows) rows do not split into \(experts) experts")
        }
        count = experts
        rowsPerExpert = packed.rows / experts
        weights = try GPUWeights(context: context, packed: packed, label: label, rowsPerUnit: rowsPerExpert,
                                 maxChunkBytes: maxChunkBytes)
    }

    /// A stack whose chunks were built elsewhere (streamed from a file, or an empty pool).
    public init(weights: GPUWeights, experts: Int) throws {
        guard experts > 0, weights.rows % experts == 0, weights.rowsPerUnit % (weights.rows / experts) == 0 else {
            throw KernelsError.invalidArgument(kernel: "GPUExperts",
                message: "'\(weights.label)': \(weights.rows) rows in units of \(weights.rowsPerUnit) do not split into \(experts) whole experts")
        }
        count = experts
        rowsPerExpert = weights.rows / experts
        self.weights = weights
    }
}

extension PackedWeights {
    /// Interleaves two expert stacks expert by expert: expert e's gate rows, then its up rows.
    /// This is the layout `f32_moe_gate_up_swiglu` reads.
    public static func fusedGateUp(gate: PackedWeights, up: PackedWeights, experts: Int) throws -> PackedWeights {
        guard gate.format == up.format, gate.cols == up.cols, gate.rows == up.rows, experts > 0, gate.rows % experts == 0 else {
            throw KernelsError.invalidArgument(kernel: "fusedGateUp",
                message: "gate (\(gate.format), \(gate.rows)×\(gate.cols)) and up (\(up.format), \(up.rows)×\(up.cols)) must match and split into \(experts) experts")
        }
        let per = gate.rows / experts
        var parts: [PackedWeights] = []
        for e in 0 ..< experts {
            parts.append(gate.rows(e * per ..< (e + 1) * per))
            parts.append(up.rows(e * per ..< (e + 1) * per))
        }
        return try concatenatingRows(parts)
    }
}
