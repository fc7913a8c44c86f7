/// Packs a params struct of 32-bit scalars into std140 bytes (scalars are 4-byte aligned and
/// consecutive; the block is padded to 16 bytes). Fields go in declaration order.
struct UniformWriter {
    private(set) var bytes: [UInt8] = []

    mutating func u32(_ value: Int) {
        append(UInt32(truncatingIfNeeded: value))
    }

    mutating func f32(_ value: Float) {
        append(value.bitPattern)
    }

    private mutating func append(_ word: UInt32) {
        withUnsafeBytes(of: word.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// The bytes padded to a multiple of 16.
    var padded: [UInt8] {
        bytes + [UInt8](repeating: 0, count: (16 - bytes.count % 16) % 16)
    }
}
