/// How the bytes of one synthetic tensor are drawn: well-formed blocks with plausible scales,
/// never all zeros, so kernels and loaders see the value ranges a real checkpoint has.
public enum SyntheticFill: Sendable, Equatable {
    /// Q8_0 blocks: fp16 scale `scale`·(0.75…1.25), then 32 int8 drawn triangular in −127…127
    /// (the sum of two uniforms, so small values are commoner, as in trained weights).
    case q8_0(scale: Float)
    /// MXFP4 blocks: E8M0 exponent byte drawn from `exponents`, then 16 bytes of random nibbles.
    /// With the doubled E2M1 table (max 12) an exponent of 121 gives values up to 12·2⁻⁷ ≈ 0.09.
    case mxfp4(exponents: ClosedRange<UInt8>)
    /// F32 values uniform in center ± spread.
    case f32(center: Float, spread: Float)

    var type: GGMLType {
        switch self {
        case .q8_0: return .q8_0
        case .mxfp4: return .mxfp4
        case .f32: return .f32
        }
    }

    /// Fills `buffer` (a whole number of blocks of `type`) from `random`.
    func fill(_ buffer: UnsafeMutableRawBufferPointer, _ random: inout WyRand) {
        switch self {
        case .q8_0(let scale):
            let bytes = buffer.bindMemory(to: UInt8.self)
            var block = 0
            while block < bytes.count {
                let d = Float16(scale * (0.75 + 0.5 * random.unit())).bitPattern
                bytes[block] = UInt8(truncatingIfNeeded: d)
                bytes[block + 1] = UInt8(truncatingIfNeeded: d >> 8)
                var i = block + 2
                for _ in 0..<4 {
                    let a = random.next(), b = random.next()
                    for lane in 0..<8 {
                        let shift = UInt64(lane * 8)
                        let x = Int16(Int8(truncatingIfNeeded: a >> shift)) + Int16(Int8(truncatingIfNeeded: b >> shift))
                        bytes[i + lane] = UInt8(bitPattern: Int8(max(-127, x >> 1)))
                    }
                    i += 8
                }
                block += 34
            }
        case .mxfp4(let exponents):
            let bytes = buffer.bindMemory(to: UInt8.self)
            let span = UInt64(exponents.upperBound - exponents.lowerBound) + 1
            var block = 0
            while block < bytes.count {
                bytes[block] = exponents.lowerBound + UInt8(random.next() % span)
                let a = random.next(), b = random.next()
                for lane in 0..<8 {
                    bytes[block + 1 + lane] = UInt8(truncatingIfNeeded: a >> UInt64(lane * 8))
                    bytes[block + 9 + lane] = UInt8(truncatingIfNeeded: b >> UInt64(lane * 8))
                }
                block += 17
            }
        case .f32(let center, let spread):
            let values = buffer.bindMemory(to: Float.self)
            for i in values.indices { values[i] = center + spread * (2 * random.unit() - 1) }
        }
    }
}
