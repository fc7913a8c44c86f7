/// The CPU twin of Shaders/wgsl/lib/fp4_half.wesl, the packed-f16 MXFP4 arithmetic of the f16
/// decode MoE kernels: the same bit placements and the same f16 roundings (Swift's Float16), so
/// that its bit tricks and its precision are tested on machines whose GPU (llvmpipe) cannot run
/// 16-bit arithmetic. Word and pair orders follow the shader exactly.
extension CPUReference {
    /// The activations' scale while staged as f16 (`ACT_SCALE`).
    public static let halfActivationScale: Float = 16

    /// `fp4_pairs`: the nibbles at bit `shift` of each byte of `w` as two f16 pair bit patterns,
    /// (byte 0, byte 2) and (byte 1, byte 3), each E2M1 × 2^-14.
    public static func fp4HalfPairs(_ w: UInt32, shift: UInt32) -> (UInt32, UInt32) {
        let t = w >> shift
        let h02 = ((t & 0x0007_0007) << 9) | ((t & 0x0008_0008) << 12)
        let h13 = (((t >> 8) & 0x0007_0007) << 9) | (((t >> 8) & 0x0008_0008) << 12)
        return (h02, h13)
    }

    /// `stage_pairs`: activations x[32b + 4k ..< + 4] (`lo`) and x[32b + 16 + 4k ..< + 4] (`hi`)
    /// as the four staged f16 pair words of data word k of block b.
    public static func stageHalfPairs(lo: [Float], hi: [Float]) -> [UInt32] {
        func pair(_ a: Float, _ b: Float) -> UInt32 {
            UInt32(Float16(a * halfActivationScale).bitPattern) | UInt32(Float16(b * halfActivationScale).bitPattern) << 16
        }
        return [pair(lo[0], lo[2]), pair(lo[1], lo[3]), pair(hi[0], hi[2]), pair(hi[1], hi[3])]
    }

    /// `block_sum`: a block's four data words times their staged words, the 32 products summed
    /// in one f16 pair (each multiply-add rounded once, as the GPU's fused f16 FMA), then as f32.
    public static func halfBlockSum(data: [UInt32], staged: [[UInt32]]) -> Float {
        var acc: (Float16, Float16) = (0, 0)
        func halves(_ w: UInt32) -> (Float16, Float16) {
            (Float16(bitPattern: UInt16(w & 0xffff)), Float16(bitPattern: UInt16(w >> 16)))
        }
        // a * b is exact in f32 (11-bit significands), so one rounding to f16 is the fused one.
        func fma(_ a: UInt32, _ b: UInt32) {
            let (a0, a1) = halves(a), (b0, b1) = halves(b)
            acc = (Float16(Float(a0) * Float(b0) + Float(acc.0)), Float16(Float(a1) * Float(b1) + Float(acc.1)))
        }
        for k in 0 ..< 4 {
            let lo = fp4HalfPairs(data[k], shift: 0), hi = fp4HalfPairs(data[k], shift: 4)
            fma(lo.0, staged[k][0]); fma(lo.1, staged[k][1]); fma(hi.0, staged[k][2]); fma(hi.1, staged[k][3])
        }
        return Float(acc.0) + Float(acc.1)
    }

    /// `e8m0_half`: 2^(e - 127) · 2^14 / 16, saturating at 2^127.
    public static func e8m0Half(_ e: UInt32) -> Float {
        Float(bitPattern: min(e + 10, 254) << 23)
    }

    /// One MXFP4 row (ggml bytes: per block an E8M0 byte then 16 nibble bytes) times `x` the way
    /// the f16 kernels compute it: staged activations, f16 block sums, f32 scale and total.
    public static func halfMXFP4Dot(rowBytes: [UInt8], x: [Float]) -> Float {
        let blocks = x.count / 32
        var total: Float = 0
        for b in 0 ..< blocks {
            let base = b * 17
            let words = (0 ..< 4).map { k in
                (0 ..< 4).reduce(UInt32(0)) { $0 | UInt32(rowBytes[base + 1 + 4 * k + $1]) << (8 * UInt32($1)) }
            }
            let staged = (0 ..< 4).map { k in
                stageHalfPairs(lo: Array(x[32 * b + 4 * k ..< 32 * b + 4 * k + 4]),
                               hi: Array(x[32 * b + 16 + 4 * k ..< 32 * b + 16 + 4 * k + 4]))
            }
            total += halfBlockSum(data: words, staged: staged) * e8m0Half(UInt32(rowBytes[base]))
        }
        return total
    }
}
