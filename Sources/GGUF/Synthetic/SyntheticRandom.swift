/// wyrand: a tiny, fast 64-bit generator, good enough for synthetic weights and reproducible
/// from a seed. Streams for different (tensor, chunk) pairs are seeded through SplitMix64 so the
/// bytes do not depend on how many threads generated them.
struct WyRand {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    init(_ parts: UInt64...) {
        var mixed: UInt64 = 0x9E37_79B9_7F4A_7C15
        for part in parts { mixed = Self.splitMix(mixed ^ part) }
        state = mixed
    }

    static func splitMix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always)
    mutating func next() -> UInt64 {
        state &+= 0xA076_1D64_78BD_642F
        let product = state.multipliedFullWidth(by: state ^ 0xE703_7ED1_A0B4_28DB)
        return product.high ^ product.low
    }

    /// Uniform in [0, 1).
    @inline(__always)
    mutating func unit() -> Float { Float(next() >> 40) * (1.0 / Float(1 << 24)) }
}
