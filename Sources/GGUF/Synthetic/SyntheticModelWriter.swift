import Foundation

/// Streams a synthetic GPT-OSS GGUF to disk: tensor bytes are generated chunk by chunk on all
/// cores while the previous chunk is written, never holding a whole tensor in memory. The same
/// seed gives the same file, whatever the number of cores.
public struct SyntheticModelWriter {
    public var spec: GPTOSSSyntheticSpec
    public var seed: UInt64
    /// Bytes generated per chunk (split across threads).
    public var chunkBytes = 32 << 20

    public init(spec: GPTOSSSyntheticSpec, seed: UInt64 = 0) {
        self.spec = spec
        self.seed = seed
    }

    /// Progress after each tensor: (tensor index, tensor count, bytes written so far, bytes in all).
    public typealias Progress = (_ index: Int, _ count: Int, _ written: UInt64, _ total: UInt64) -> Void

    /// Writes the model to `path`; `extraMetadata` adds keys (the tokenizer) after the model's.
    public func write(to path: String, extraMetadata: (GGUFWriter) throws -> Void = { _ in },
                      progress: Progress? = nil) throws {
        try spec.validate()
        let writer = try GGUFWriter()
        for (key, value) in spec.metadata { writer.set(key, value) }
        try extraMetadata(writer)
        let tensors = spec.tensors
        let total = spec.dataBytes
        var written: UInt64 = 0
        for (index, tensor) in tensors.enumerated() {
            let byteCount = tensor.type.bytes(forElements: tensor.dimensions.reduce(1, *))!
            try writer.addTensor(name: tensor.name, dimensions: tensor.dimensions, type: tensor.type) { emit in
                try Self.generate(tensor.fill, byteCount: byteCount, seed: WyRand.splitMix(seed ^ UInt64(index)),
                                  chunkBytes: chunkBytes, emit: emit)
                written += byteCount
                progress?(index + 1, tensors.count, written, total)
            }
        }
        try writer.write(to: path)
    }

    /// Generates `byteCount` bytes of `fill` in chunks; each chunk is split into slices filled in
    /// parallel from streams keyed by (seed, chunk, slice).
    static func generate(_ fill: SyntheticFill, byteCount: UInt64, seed: UInt64, chunkBytes: Int,
                         emit: GGUFWriter.Emit) throws {
        let blockBytes = fill.type.typeSize
        let sliceBlocks = max(1, (1 << 20) / blockBytes)  // ~1 MiB per slice
        let sliceBytes = sliceBlocks * blockBytes
        let chunkSize = max(1, chunkBytes / sliceBytes) * sliceBytes
        var buffer = [UInt8](repeating: 0, count: Int(min(UInt64(chunkSize), byteCount)))
        var offset: UInt64 = 0
        var chunkIndex: UInt64 = 0
        while offset < byteCount {
            let length = Int(min(UInt64(chunkSize), byteCount - offset))
            let slices = (length + sliceBytes - 1) / sliceBytes
            buffer.withUnsafeMutableBytes { raw in
                let base = raw.baseAddress!
                DispatchQueue.concurrentPerform(iterations: slices) { slice in
                    let start = slice * sliceBytes
                    let piece = UnsafeMutableRawBufferPointer(start: base + start, count: min(sliceBytes, length - start))
                    var random = WyRand(seed, chunkIndex, UInt64(slice))
                    fill.fill(piece, &random)
                }
            }
            try buffer.withUnsafeBytes { try emit(UnsafeRawBufferPointer(rebasing: $0[0..<length])) }
            offset += UInt64(length)
            chunkIndex += 1
        }
    }
}
