/// Packs a params struct of 32-bit scalars into std140 bytes (scalars are 4-byte aligned and
/// consecutive; the block is padded to 16 bytes). Fields go in declaration order, each written
/// with its WGSL member name: until a program's first launch has checked them against the
/// shader's reflection (`ParamsLayout`), the writer keeps the names and types it was given, so a
/// launcher that writes fields in the wrong order fails with a clear error instead of handing
/// the kernel silently shifted values.
struct UniformWriter {
    private(set) var bytes: [UInt8] = []
    /// The (name, type) of every field written, or nil once the program is checked (no string
    /// work on the hot path).
    private(set) var fields: [ParamsLayout.Field]?

    /// A writer for a launch of `kernel` (records field names only while its layout is unchecked).
    init(for kernel: CompiledKernel) {
        fields = kernel.paramsChecked ? nil : []
    }

    /// A writer that always records its fields (tests).
    init(recording: Bool) {
        fields = recording ? [] : nil
    }

    mutating func u32(_ name: StaticString, _ value: Int) {
        fields?.append(ParamsLayout.Field(name: "\(name)", type: .u32))
        append(UInt32(truncatingIfNeeded: value))
    }

    mutating func f32(_ name: StaticString, _ value: Float) {
        fields?.append(ParamsLayout.Field(name: "\(name)", type: .f32))
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
