// The one place GLSL names are chosen. WGSL identifiers are kept when GLSL allows them; a name
// that is a GLSL keyword, a reserved word, a builtin function, starts with `gl_`, contains `__`,
// or was already taken gets a numeric suffix (`input` → `input_1`). Helper functions the writer
// emits have names reserved up front, so user code can never capture them.

import Foundation

struct Namer {
    private var used: Set<String>

    init(reserved: Set<String> = []) {
        used = Namer.glslReserved.union(reserved)
    }

    /// A fresh GLSL identifier close to `wanted`, never returned before by this namer.
    mutating func name(_ wanted: String) -> String {
        var base = wanted
        while base.contains("__") { base = base.replacingOccurrences(of: "__", with: "_") }
        if base.hasPrefix("gl_") { base = "wgsl_" + base }
        if base.isEmpty || base.hasPrefix("_") && base.count == 1 { base = "v" }
        if !used.contains(base) {
            used.insert(base)
            return base
        }
        var counter = 1
        while used.contains("\(base)_\(counter)") { counter += 1 }
        let fresh = "\(base)_\(counter)"
        used.insert(fresh)
        return fresh
    }

    /// GLSL ES 3.10 keywords, reserved words and builtin function names.
    static let glslReserved: Set<String> = [
        // Keywords.
        "const", "uniform", "buffer", "shared", "coherent", "volatile", "restrict", "readonly", "writeonly",
        "layout", "centroid", "flat", "smooth", "break", "continue", "do", "for", "while", "switch", "case",
        "default", "if", "else", "in", "out", "inout", "float", "int", "void", "bool", "true", "false",
        "invariant", "discard", "return", "mat2", "mat3", "mat4", "mat2x2", "mat2x3", "mat2x4", "mat3x2",
        "mat3x3", "mat3x4", "mat4x2", "mat4x3", "mat4x4", "vec2", "vec3", "vec4", "ivec2", "ivec3", "ivec4",
        "bvec2", "bvec3", "bvec4", "uint", "uvec2", "uvec3", "uvec4", "lowp", "mediump", "highp", "precision",
        "sampler2D", "sampler3D", "samplerCube", "sampler2DShadow", "samplerCubeShadow", "sampler2DArray",
        "sampler2DArrayShadow", "isampler2D", "isampler3D", "isamplerCube", "isampler2DArray", "usampler2D",
        "usampler3D", "usamplerCube", "usampler2DArray", "sampler2DMS", "isampler2DMS", "usampler2DMS",
        "image2D", "iimage2D", "uimage2D", "image3D", "iimage3D", "uimage3D", "imageCube", "iimageCube",
        "uimageCube", "image2DArray", "iimage2DArray", "uimage2DArray", "struct", "atomic_uint",
        "attribute", "varying", "patch", "sample", "subroutine", "main",
        // Reserved for future use.
        "resource", "noperspective", "common", "partition", "active", "asm", "class", "union", "enum",
        "typedef", "template", "this", "goto", "inline", "noinline", "public", "static", "extern", "external",
        "interface", "long", "short", "double", "half", "fixed", "unsigned", "superp", "input", "output",
        "hvec2", "hvec3", "hvec4", "dvec2", "dvec3", "dvec4", "fvec2", "fvec3", "fvec4", "sampler3DRect",
        "filter", "sizeof", "cast", "namespace", "using", "dmat2", "dmat3", "dmat4",
        "float16_t", "f16vec2", "f16vec3", "f16vec4", "f16mat2", "f16mat3", "f16mat4",
        // Builtin functions (a user function with one of these names would overload or clash).
        "radians", "degrees", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh",
        "acosh", "atanh", "pow", "exp", "log", "exp2", "log2", "sqrt", "inversesqrt", "abs", "sign", "floor",
        "trunc", "round", "roundEven", "ceil", "fract", "mod", "modf", "min", "max", "clamp", "mix", "step",
        "smoothstep", "isnan", "isinf", "floatBitsToInt", "floatBitsToUint", "intBitsToFloat", "uintBitsToFloat",
        "fma", "frexp", "ldexp", "packSnorm2x16", "packUnorm2x16", "packHalf2x16", "unpackSnorm2x16",
        "unpackUnorm2x16", "unpackHalf2x16", "packSnorm4x8", "packUnorm4x8", "unpackSnorm4x8", "unpackUnorm4x8",
        "length", "distance", "dot", "cross", "normalize", "faceforward", "reflect", "refract",
        "matrixCompMult", "outerProduct", "transpose", "determinant", "inverse", "lessThan", "lessThanEqual",
        "greaterThan", "greaterThanEqual", "equal", "notEqual", "any", "all", "not", "uaddCarry", "usubBorrow",
        "umulExtended", "imulExtended", "bitfieldExtract", "bitfieldInsert", "bitfieldReverse", "bitCount",
        "findLSB", "findMSB", "atomicAdd", "atomicMin", "atomicMax", "atomicAnd", "atomicOr", "atomicXor",
        "atomicExchange", "atomicCompSwap", "atomicCounter", "atomicCounterIncrement", "atomicCounterDecrement",
        "barrier", "memoryBarrier", "memoryBarrierAtomicCounter", "memoryBarrierBuffer", "memoryBarrierImage",
        "memoryBarrierShared", "groupMemoryBarrier", "texture", "textureSize", "texelFetch", "imageLoad",
        "imageStore", "imageSize", "packFloat2x16", "unpackFloat2x16",
        "subgroupBarrier", "subgroupElect", "subgroupAll", "subgroupAny", "subgroupAllEqual", "subgroupBroadcast",
        "subgroupBroadcastFirst", "subgroupBallot", "subgroupAdd", "subgroupMul", "subgroupMin", "subgroupMax",
        "subgroupAnd", "subgroupOr", "subgroupXor", "subgroupInclusiveAdd", "subgroupInclusiveMul",
        "subgroupExclusiveAdd", "subgroupExclusiveMul", "subgroupShuffle", "subgroupShuffleXor",
        "subgroupShuffleUp", "subgroupShuffleDown",
    ]
}
