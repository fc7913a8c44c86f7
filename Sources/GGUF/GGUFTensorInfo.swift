/// One entry of the tensor table, resolved to where its bytes live.
public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    /// Dimensions in ggml order: ne0 (the row length, contiguous) first.
    public let dimensions: [UInt64]
    public let type: GGMLType
    /// Absolute byte offset of the first byte in its source (data section start + stored offset).
    public let offset: UInt64
    /// Bytes of data: whole blocks of `type` covering all elements.
    public let byteCount: UInt64
    /// Index of the source (split part) holding the data, in `GGUFFile.sources`.
    public let sourceIndex: Int

    public init(name: String, dimensions: [UInt64], type: GGMLType, offset: UInt64, byteCount: UInt64, sourceIndex: Int) {
        self.name = name
        self.dimensions = dimensions
        self.type = type
        self.offset = offset
        self.byteCount = byteCount
        self.sourceIndex = sourceIndex
    }

    /// Number of elements (the product of the dimensions). An empty tensor (a zero dimension,
    /// which ggml accepts) may have other dimensions whose product overflows, so zero is decided
    /// first; a product past 64 bits (the parser refuses one; a hand-built info might not) saturates.
    public var elementCount: UInt64 {
        if dimensions.contains(0) { return 0 }
        var product: UInt64 = 1
        for dimension in dimensions {
            let (next, overflow) = product.multipliedReportingOverflow(by: dimension)
            if overflow { return .max }
            product = next
        }
        return product
    }

    /// The shape printed the way ggml does: `[2880, 201088]`.
    public var shapeDescription: String { "[" + dimensions.map(String.init).joined(separator: ", ") + "]" }
}
