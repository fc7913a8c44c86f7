// The WGSL builtin functions the translator knows, named as in WGSL. Resolver+Builtins.swift
// type-checks calls to them; GLSLWriter+Builtins.swift prints them.

enum BuiltinFunction: String, Hashable, CaseIterable {
    // Component-wise float functions of one argument.
    case exp, exp2, log, log2, sqrt, inverseSqrt, sin, cos, tan, asin, acos, atan, sinh, cosh, tanh
    case asinh, acosh, atanh, floor, ceil, round, trunc, fract, degrees, radians, saturate, quantizeToF16
    // Float functions of several arguments.
    case pow, atan2, step, smoothstep, mix, fma, distance, length, normalize, cross, reflect, faceForward, ldexp
    case determinant, transpose
    // Numeric.
    case abs, sign, min, max, clamp, dot, select, all, any
    // Bits.
    case countOneBits, reverseBits, firstLeadingBit, firstTrailingBit, countLeadingZeros, countTrailingZeros
    case extractBits, insertBits
    // Packing.
    case pack4x8snorm, pack4x8unorm, pack2x16snorm, pack2x16unorm, pack2x16float
    case unpack4x8snorm, unpack4x8unorm, unpack2x16snorm, unpack2x16unorm, unpack2x16float
    case pack4xI8, pack4xU8, pack4xI8Clamp, pack4xU8Clamp, unpack4xI8, unpack4xU8, dot4U8Packed, dot4I8Packed
    // Arrays and synchronisation.
    case arrayLength, workgroupBarrier, storageBarrier, workgroupUniformLoad
    // Atomics.
    case atomicLoad, atomicStore, atomicAdd, atomicSub, atomicMax, atomicMin, atomicAnd, atomicOr, atomicXor
    case atomicExchange, atomicCompareExchangeWeak
    // Subgroups (`enable subgroups;`).
    case subgroupAdd, subgroupMul, subgroupMin, subgroupMax, subgroupAnd, subgroupOr, subgroupXor
    case subgroupExclusiveAdd, subgroupExclusiveMul, subgroupInclusiveAdd, subgroupInclusiveMul
    case subgroupAll, subgroupAny, subgroupBroadcast, subgroupBroadcastFirst, subgroupShuffle
    case subgroupShuffleXor, subgroupShuffleUp, subgroupShuffleDown, subgroupBallot, subgroupElect

    var isSubgroupOperation: Bool { rawValue.hasPrefix("subgroup") }
    var isAtomic: Bool { rawValue.hasPrefix("atomic") }

    /// Builtins called for their effect alone, which return nothing.
    var returnsNothing: Bool {
        self == .workgroupBarrier || self == .storageBarrier || self == .atomicStore
    }
}
