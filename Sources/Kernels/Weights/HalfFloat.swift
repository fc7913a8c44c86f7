/// IEEE binary16 and bfloat16 conversions done by hand, so they behave the same on every
/// platform (Swift's Float16 is missing on some).
enum HalfFloat {
    /// binary16 bits → Float (exact: every half is a float).
    static func float(fromHalf bits: UInt16) -> Float {
        let sign = UInt32(bits >> 15) << 31
        let exponent = Int(bits >> 10) & 0x1f
        let mantissa = UInt32(bits & 0x3ff)
        if exponent == 0 {
            // Zero or subnormal: mantissa · 2^-24.
            let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign == 0 ? magnitude : -magnitude
        }
        if exponent == 0x1f {
            return Float(bitPattern: sign | 0x7f80_0000 | (mantissa << 13))
        }
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
    }

    /// Float → binary16 bits, rounding to nearest even (for tests and synthetic weights).
    static func half(fromFloat value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        if value.isNaN { return sign | 0x7e00 }
        let magnitude = abs(value)
        if magnitude >= 65520 { return sign | 0x7c00 }
        if magnitude < Float(sign: .plus, exponent: -14, significand: 1) {
            // Subnormal range: round magnitude / 2^-24 to an integer.
            let scaled = (magnitude * Float(sign: .plus, exponent: 24, significand: 1)).rounded(.toNearestOrEven)
            return sign | UInt16(scaled)
        }
        let exponent = Int((bits >> 23) & 0xff) - 127 + 15
        var mantissa = bits & 0x7f_ffff
        var halfExponent = UInt32(exponent)
        // Round the 23-bit mantissa to 10 bits, nearest even.
        let dropped = mantissa & 0x1fff
        mantissa >>= 13
        if dropped > 0x1000 || (dropped == 0x1000 && mantissa & 1 == 1) {
            mantissa += 1
            if mantissa == 0x400 {
                mantissa = 0
                halfExponent += 1
            }
        }
        return sign | UInt16(halfExponent << 10) | UInt16(mantissa)
    }

    /// bfloat16 bits → Float (the top half of a float).
    static func float(fromBFloat bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// Float → bfloat16 bits, rounding to nearest even.
    static func bfloat(fromFloat value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(bits >> 16) | 0x40 }
        let rounding = 0x7fff + ((bits >> 16) & 1)
        return UInt16((bits &+ rounding) >> 16)
    }
}
