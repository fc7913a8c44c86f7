/// Packs host values into std140 bytes for `UniformBinding(index:bytes:)`.
///
/// std140 rules used here: scalars align to 4 bytes, vec2 to 8, vec3 and vec4 to 16, and the
/// block's size rounds up to 16. Arrays and matrices are not needed by our kernels' parameter
/// blocks; write each element as a vec4 if one ever is.
public struct Std140Writer {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func uint(_ value: UInt32) { append(value, alignment: 4) }
    public mutating func int(_ value: Int32) { append(value, alignment: 4) }
    public mutating func float(_ value: Float) { append(value, alignment: 4) }

    public mutating func uvec2(_ x: UInt32, _ y: UInt32) { align(8); append(x, alignment: 4); append(y, alignment: 4) }
    public mutating func vec2(_ x: Float, _ y: Float) { align(8); append(x, alignment: 4); append(y, alignment: 4) }
    public mutating func uvec4(_ x: UInt32, _ y: UInt32, _ z: UInt32, _ w: UInt32) {
        align(16)
        for value in [x, y, z, w] { append(value, alignment: 4) }
    }
    public mutating func vec4(_ x: Float, _ y: Float, _ z: Float, _ w: Float) {
        align(16)
        for value in [x, y, z, w] { append(value, alignment: 4) }
    }

    /// The packed block, padded to a multiple of 16 bytes.
    public var block: [UInt8] {
        var copy = self
        copy.align(16)
        return copy.bytes
    }

    private mutating func align(_ alignment: Int) {
        let remainder = bytes.count % alignment
        if remainder != 0 { bytes += [UInt8](repeating: 0, count: alignment - remainder) }
    }

    private mutating func append<T>(_ value: T, alignment: Int) {
        align(alignment)
        withUnsafeBytes(of: value) { bytes += $0 }
    }
}

extension UniformBinding {
    /// A uniform block packed with `Std140Writer`.
    public init(index: Int, std140 writer: Std140Writer) {
        self.init(index: index, bytes: writer.block)
    }
}
