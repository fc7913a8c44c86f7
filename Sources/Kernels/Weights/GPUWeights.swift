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

    /// Bytes on the GPU (both planes, all chunks).
    public var byteCount: Int { chunks.reduce(0) { $0 + $1.scales.byteCount + $1.data.byteCount } }

    /// Uploads `packed`, cutting it into chunks of whole units no larger than `maxChunkBytes`
    /// per binding (default: the device's storage block limit).
    public init(context: GLContext, packed: PackedWeights, label: String, rowsPerUnit: Int = 1,
                maxChunkBytes: Int? = nil) throws {
        guard rowsPerUnit > 0, packed.rows % rowsPerUnit == 0 else {
            throw KernelsError.invalidArgument(kernel: "GPUWeights",
                message: "'\(label)': \(packed.rows) rows are not whole units of \(rowsPerUnit) rows")
        }
        let limit = min(maxChunkBytes ?? context.limits.maxShaderStorageBlockSize, context.limits.maxShaderStorageBlockSize)
        let unitBytes = max(packed.scaleWordsPerRow, packed.dataWordsPerRow) * 4 * rowsPerUnit
        guard unitBytes <= limit else {
            throw KernelsError.unitOverBindingLimit(tensor: label, unitBytes: unitBytes, limit: limit)
        }
        let rowsPerChunk = max(1, limit / unitBytes) * rowsPerUnit
        var chunks: [Chunk] = []
        var start = 0
        while start < packed.rows {
            let count = min(rowsPerChunk, packed.rows - start)
            let name = chunks.isEmpty && count == packed.rows ? label : "\(label)[rows \(start)..<\(start + count)]"
            let scaleWords = packed.scaleWordsPerRow * count
            let scales: GPUBuffer
            if scaleWords > 0 {
                scales = try context.makeBuffer(array: Array(packed.scales[start * packed.scaleWordsPerRow ..< (start + count) * packed.scaleWordsPerRow]),
                                                label: "\(name).scales", usage: .staticData)
            } else {
                scales = try context.makeBuffer(byteCount: 16, label: "\(name).scales (none)", usage: .staticData)
            }
            let data = try context.makeBuffer(array: Array(packed.data[start * packed.dataWordsPerRow ..< (start + count) * packed.dataWordsPerRow]),
                                              label: "\(name).data", usage: .staticData)
            chunks.append(Chunk(rowStart: start, rowCount: count, scales: scales, data: data))
            start += count
        }
        self.label = label
        self.format = packed.format
        self.rows = packed.rows
        self.cols = packed.cols
        self.rowsPerUnit = rowsPerUnit
        self.scaleWordsPerRow = packed.scaleWordsPerRow
        self.dataVec4PerRow = packed.dataVec4PerRow
        self.chunks = chunks
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
