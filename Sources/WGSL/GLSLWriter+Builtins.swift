// Builtin calls. Most map to a GLSL builtin of another name; the rest become short inline
// expressions (bit counts returning WGSL's types, select's argument order) or helpers from
// Polyfill.swift. Subgroup operations also record the KHR extension they need.

extension GLSLWriter {
    func builtin(_ f: BuiltinFunction, _ arguments: [IRExpression], type: IRType, span: SourceSpan) throws -> String {
        let args = try arguments.map { argument -> String in
            if case .pointer = argument.type { return try place(pointerTarget(argument)) }
            return try expr(argument)
        }
        let typeName = try glslType(type, span: span)
        let joined = args.joined(separator: ", ")
        let kind = arguments.first?.type.scalarKind ?? .f32
        func call(_ name: String) -> String { "\(name)(\(joined))" }
        func subgroup(_ ext: String, _ name: String) -> String {
            extensions.insert("GL_KHR_shader_subgroup_basic")
            extensions.insert("GL_KHR_shader_subgroup_\(ext)")
            return call(name)
        }
        switch f {
        case .exp, .exp2, .log, .log2, .sqrt, .sin, .cos, .tan, .asin, .acos, .atan, .sinh, .cosh, .tanh, .asinh, .acosh,
             .atanh, .floor, .ceil, .trunc, .fract, .degrees, .radians, .pow, .step, .smoothstep, .mix, .distance, .length,
             .normalize, .cross, .reflect, .ldexp, .determinant, .transpose, .min, .max, .clamp, .sign:
            return call(f.rawValue)
        case .inverseSqrt: return call("inversesqrt")
        case .atan2: return call("atan")
        case .round: return call("roundEven")
        case .faceForward: return call("faceforward")
        case .saturate:
            let zero = try literal(.float(0), type: .scalar(kind), span: span)
            let one = try literal(.float(1), type: .scalar(kind), span: span)
            return "clamp(\(args[0]), \(zero), \(one))"
        case .fma: return "(\(args[0]) * \(args[1]) + \(args[2]))"
        case .quantizeToF16: return "\(use(.quantizeToF16, for: type))(\(args[0]))"
        case .abs: return kind == .u32 ? args[0] : call("abs")
        case .dot:
            if kind.isInteger { return "\(use(.integerDot, for: arguments[0].type))(\(joined))" }
            return call("dot")
        case .select:
            if arguments[2].type.isVector { return "mix(\(args[0]), \(args[1]), \(args[2]))" }
            return "(\(args[2]) ? \(args[1]) : \(args[0]))"
        case .all, .any:
            return arguments[0].type.isVector ? call(f.rawValue) : args[0]
        case .countOneBits: return "\(typeName)(bitCount(\(args[0])))"
        case .reverseBits: return call("bitfieldReverse")
        case .firstLeadingBit: return "\(typeName)(findMSB(\(args[0])))"
        case .firstTrailingBit: return "\(typeName)(findLSB(\(args[0])))"
        case .countLeadingZeros:
            let unsigned = arguments[0].type.withScalar(.u32)
            let signed = arguments[0].type.withScalar(.i32)
            return "\(typeName)(\(try glslType(signed, span: span))(31) - findMSB(\(try glslType(unsigned, span: span))(\(args[0]))))"
        case .countTrailingZeros:
            let unsigned = try glslType(arguments[0].type.withScalar(.u32), span: span)
            return "\(typeName)(min(\(unsigned)(findLSB(\(args[0]))), \(unsigned)(32u)))"
        case .extractBits: return "\(use(.extractBits, for: type))(\(joined))"
        case .insertBits: return "\(use(.insertBits, for: type))(\(joined))"
        case .pack4x8snorm: return call("packSnorm4x8")
        case .pack4x8unorm: return call("packUnorm4x8")
        case .pack2x16snorm: return call("packSnorm2x16")
        case .pack2x16unorm: return call("packUnorm2x16")
        case .pack2x16float: return call("packHalf2x16")
        case .unpack4x8snorm: return call("unpackSnorm4x8")
        case .unpack4x8unorm: return call("unpackUnorm4x8")
        case .unpack2x16snorm: return call("unpackSnorm2x16")
        case .unpack2x16unorm: return call("unpackUnorm2x16")
        case .unpack2x16float: return call("unpackHalf2x16")
        case .pack4xI8: return "\(use(.pack4xI8, for: .u32))(\(joined))"
        case .pack4xU8: return "\(use(.pack4xU8, for: .u32))(\(joined))"
        case .pack4xI8Clamp: return "\(use(.pack4xI8Clamp, for: .u32))(\(joined))"
        case .pack4xU8Clamp: return "\(use(.pack4xU8Clamp, for: .u32))(\(joined))"
        case .unpack4xI8: return "\(use(.unpack4xI8, for: .u32))(\(joined))"
        case .unpack4xU8: return "\(use(.unpack4xU8, for: .u32))(\(joined))"
        case .dot4U8Packed: return "\(use(.dot4U8Packed, for: .u32))(\(joined))"
        case .dot4I8Packed: return "\(use(.dot4I8Packed, for: .u32))(\(joined))"
        case .arrayLength: return "uint(\(args[0]).length())"
        case .atomicLoad: return "atomicOr(\(args[0]), \(type == .u32 ? "0u" : "0"))"
        case .atomicAdd: return call("atomicAdd")
        case .atomicSub: return "atomicAdd(\(args[0]), \(type == .u32 ? "0u" : "0") - \(args[1]))"
        case .atomicMax, .atomicMin, .atomicAnd, .atomicOr, .atomicXor, .atomicExchange: return call(f.rawValue)
        case .subgroupAdd, .subgroupMul, .subgroupMin, .subgroupMax, .subgroupAnd, .subgroupOr, .subgroupXor,
             .subgroupExclusiveAdd, .subgroupExclusiveMul, .subgroupInclusiveAdd, .subgroupInclusiveMul:
            return subgroup("arithmetic", f.rawValue)
        case .subgroupAll, .subgroupAny: return subgroup("vote", f.rawValue)
        case .subgroupBroadcast, .subgroupBroadcastFirst, .subgroupBallot: return subgroup("ballot", f.rawValue)
        case .subgroupShuffle, .subgroupShuffleXor: return subgroup("shuffle", f.rawValue)
        case .subgroupShuffleUp, .subgroupShuffleDown: return subgroup("shuffle_relative", f.rawValue)
        case .subgroupElect:
            extensions.insert("GL_KHR_shader_subgroup_basic")
            return "subgroupElect()"
        case .workgroupUniformLoad, .atomicCompareExchangeWeak:
            throw CompileError("\(f.rawValue) is only supported where its result can be computed by a statement first: in a let/var initializer, an assignment or a return", span)
        case .workgroupBarrier, .storageBarrier, .atomicStore:
            throw CompileError("\(f.rawValue) returns nothing", span)
        }
    }

    func builtinStatement(_ f: BuiltinFunction, _ arguments: [IRExpression]) throws {
        switch f {
        case .workgroupBarrier:
            line("memoryBarrierShared();")
            line("barrier();")
        case .storageBarrier:
            line("memoryBarrierBuffer();")
            line("barrier();")
        case .atomicStore:
            line("atomicExchange(\(try place(pointerTarget(arguments[0]))), \(try expr(arguments[1])));")
        default:
            throw CompileError("internal: \(f.rawValue) is not a statement", .none)
        }
    }
}
