// Type rules of the builtin functions. Arguments are unified (abstract ones take the concrete kind
// of the others) before each rule checks shapes, so `max(x, 0.0)` works for an f32 `x`.

extension Resolver {
    struct BuiltinCall {
        var expression: IRExpression?
        var arguments: [IRExpression]
    }

    /// Builtins the constant evaluator can fold when all arguments are literals.
    static let foldableBuiltins: Set<BuiltinFunction> = [
        .abs, .min, .max, .clamp, .select, .sqrt, .inverseSqrt, .exp, .exp2, .log, .log2, .pow, .sin, .cos, .tan,
        .tanh, .floor, .ceil, .round, .trunc, .fract, .sign, .countOneBits, .reverseBits, .firstLeadingBit,
        .firstTrailingBit, .countLeadingZeros, .countTrailingZeros, .all, .any, .dot, .degrees, .radians, .saturate,
    ]

    func builtin(_ f: BuiltinFunction, _ rawArguments: [IRExpression], span: SourceSpan) throws -> BuiltinCall {
        let name = f.rawValue
        func expect(_ count: Int) throws {
            guard rawArguments.count == count else {
                throw CompileError("\(name) takes \(count) argument\(count == 1 ? "" : "s"), found \(rawArguments.count)", span)
            }
        }
        func result(_ typeIn: IRType, _ argumentsIn: [IRExpression]) throws -> BuiltinCall {
            var type = typeIn
            var arguments = argumentsIn
            let allLiteral = arguments.allSatisfy { if case .literal = $0.kind { return true } else { return false } }
            if type.isAbstract && !(allLiteral && Resolver.foldableBuiltins.contains(f)) {
                // A run-time argument (select's condition) settles abstract ones to i32 / f32.
                arguments = try arguments.map(concretize)
                type = type.concretized
            }
            let e = IRExpression(kind: .builtin(f, arguments), type: type, span: span)
            return BuiltinCall(expression: Resolver.foldableBuiltins.contains(f) ? try folded(e) : e, arguments: arguments)
        }
        func bad(_ message: String) -> CompileError { CompileError("\(name): \(message)", span) }
        if f.isSubgroupOperation { try requireExtension("subgroups", span: span) }
        let pointerBuiltins: Set<BuiltinFunction> = [.arrayLength, .workgroupUniformLoad, .atomicLoad, .atomicStore, .atomicAdd, .atomicSub,
                                                     .atomicMax, .atomicMin, .atomicAnd, .atomicOr, .atomicXor, .atomicExchange, .atomicCompareExchangeWeak]
        if pointerBuiltins.contains(f) { return try pointerBuiltin(f, rawArguments, span: span) }
        let values = rawArguments.map(autoDeref)

        switch f {
        case .exp, .exp2, .log, .log2, .sqrt, .inverseSqrt, .sin, .cos, .tan, .asin, .acos, .atan, .sinh, .cosh, .tanh,
             .asinh, .acosh, .atanh, .floor, .ceil, .round, .trunc, .fract, .degrees, .radians, .saturate, .quantizeToF16:
            try expect(1)
            let a = try floatOperand(values[0])
            guard a.type.isNumericScalarOrVector, a.type.scalarKind?.isFloat == true else { throw bad("needs a float scalar or vector, found \(module.describe(a.type))") }
            if f == .quantizeToF16 && a.type.scalarKind != .f32 { throw bad("needs f32") }
            return try result(a.type, [a])
        case .pow, .atan2, .step:
            try expect(2)
            let args = try unify(values.map(floatOperand), describing: "pass to \(name)", span: span)
            guard args[0].type == args[1].type, args[0].type.isNumericScalarOrVector, args[0].type.scalarKind?.isFloat == true else {
                throw bad("needs two floats of one type, found \(describeAll(args))")
            }
            return try result(args[0].type, args)
        case .fma, .smoothstep, .faceForward:
            try expect(3)
            let args = try unify(values.map(floatOperand), describing: "pass to \(name)", span: span)
            guard args.allSatisfy({ $0.type == args[0].type }), args[0].type.scalarKind?.isFloat == true, args[0].type.isNumericScalarOrVector else {
                throw bad("needs three floats of one type, found \(describeAll(args))")
            }
            return try result(args[0].type, args)
        case .mix:
            try expect(3)
            let args = try unify(values.map(floatOperand), describing: "pass to mix", span: span)
            guard args[0].type == args[1].type, args[0].type.scalarKind?.isFloat == true, args[0].type.isNumericScalarOrVector,
                  args[2].type == args[0].type || args[2].type == .scalar(args[0].type.scalarKind!) else {
                throw bad("needs mix(a, b, t) with a and b of one float type, found \(describeAll(args))")
            }
            return try result(args[0].type, args)
        case .distance, .length, .normalize, .dot, .cross, .reflect:
            let arity = (f == .length || f == .normalize) ? 1 : 2
            try expect(arity)
            var args = try unify(f == .dot ? values : values.map(floatOperand), describing: "pass to \(name)", span: span)
            if args.contains(where: { $0.type.isAbstract }) && f != .dot { args = try args.map(concretize) }
            guard args.allSatisfy({ $0.type == args[0].type }), let kind = args[0].type.scalarKind else { throw bad("needs arguments of one type, found \(describeAll(args))") }
            switch f {
            case .dot:
                guard case .vector = args[0].type, kind.isNumeric else { throw bad("needs two numeric vectors") }
                return try result(.scalar(kind), args)
            case .cross:
                guard args[0].type == .vector(3, kind), kind.isFloat else { throw bad("needs two vec3 of floats") }
                return try result(args[0].type, args)
            case .normalize, .reflect:
                guard case .vector = args[0].type, kind.isFloat else { throw bad("needs float vectors") }
                return try result(args[0].type, args)
            default:
                guard kind.isFloat, args[0].type.isNumericScalarOrVector else { throw bad("needs floats") }
                return try result(.scalar(kind), args)
            }
        case .ldexp:
            try expect(2)
            let mantissa = try concretize(try floatOperand(values[0]))
            let exponent = try convert(values[1], to: mantissa.type.withScalar(.i32), context: "the exponent of ldexp")
            guard mantissa.type.scalarKind?.isFloat == true else { throw bad("needs a float and an i32") }
            return try result(mantissa.type, [mantissa, exponent])
        case .determinant, .transpose:
            try expect(1)
            let m = try concretize(values[0])
            guard case .matrix(let c, let r, let s) = m.type else { throw bad("needs a matrix") }
            if f == .determinant {
                guard c == r else { throw bad("needs a square matrix") }
                return try result(.scalar(s), [m])
            }
            return try result(.matrix(columns: r, rows: c, s), [m])
        case .abs, .sign:
            try expect(1)
            let a = values[0]
            guard a.type.isNumericScalarOrVector else { throw bad("needs a numeric scalar or vector, found \(module.describe(a.type))") }
            if f == .sign && a.type.scalarKind == .u32 { throw bad("needs a signed type") }
            return try result(a.type, [a])
        case .min, .max, .clamp:
            try expect(f == .clamp ? 3 : 2)
            let args = try unify(values, describing: "pass to \(name)", span: span)
            guard args.allSatisfy({ $0.type == args[0].type }), args[0].type.isNumericScalarOrVector else {
                throw bad("needs arguments of one numeric type, found \(describeAll(args))")
            }
            return try result(args[0].type, args)
        case .select:
            try expect(3)
            let pair = try unify([values[0], values[1]], describing: "select between", span: span)
            var condition = values[2]
            guard pair[0].type == pair[1].type else { throw bad("the two values must have one type, found \(describeAll(pair))") }
            guard condition.type == .bool || condition.type == pair[0].type.withScalar(.bool) && pair[0].type.isVector else {
                throw bad("the condition must be bool (or a vector of bool matching the values), found \(module.describe(condition.type))")
            }
            condition = try concretize(condition)
            return try result(pair[0].type, [pair[0], pair[1], condition])
        case .all, .any:
            try expect(1)
            guard values[0].type.scalarKind == .bool, values[0].type.isScalar || values[0].type.isVector else { throw bad("needs a bool or vector of bool") }
            return try result(.bool, values)
        case .countOneBits, .reverseBits, .firstLeadingBit, .firstTrailingBit, .countLeadingZeros, .countTrailingZeros:
            try expect(1)
            let a = try concretize(values[0])
            guard a.type.isNumericScalarOrVector, a.type.scalarKind == .i32 || a.type.scalarKind == .u32 else {
                throw bad("needs i32 or u32 (or vectors of them), found \(module.describe(a.type))")
            }
            return try result(a.type, [a])
        case .extractBits:
            try expect(3)
            let e = try concretize(values[0])
            guard e.type.isNumericScalarOrVector, e.type.scalarKind == .i32 || e.type.scalarKind == .u32 else { throw bad("needs an i32 or u32 value") }
            let offset = try convert(values[1], to: .u32, context: "the offset of extractBits")
            let count = try convert(values[2], to: .u32, context: "the count of extractBits")
            return try result(e.type, [e, offset, count])
        case .insertBits:
            try expect(4)
            let pair = try unify([values[0], values[1]], describing: "pass to insertBits", span: span).map(concretize)
            guard pair[0].type == pair[1].type, pair[0].type.scalarKind == .i32 || pair[0].type.scalarKind == .u32 else { throw bad("needs two i32 or u32 values of one type") }
            let offset = try convert(values[2], to: .u32, context: "the offset of insertBits")
            let count = try convert(values[3], to: .u32, context: "the count of insertBits")
            return try result(pair[0].type, pair + [offset, count])
        case .pack4x8snorm, .pack4x8unorm:
            try expect(1)
            return try result(.u32, [try convert(values[0], to: .vector(4, .f32), context: "the argument of \(name)")])
        case .pack2x16snorm, .pack2x16unorm, .pack2x16float:
            try expect(1)
            return try result(.u32, [try convert(values[0], to: .vector(2, .f32), context: "the argument of \(name)")])
        case .unpack4x8snorm, .unpack4x8unorm:
            try expect(1)
            return try result(.vector(4, .f32), [try convert(values[0], to: .u32, context: "the argument of \(name)")])
        case .unpack2x16snorm, .unpack2x16unorm, .unpack2x16float:
            try expect(1)
            return try result(.vector(2, .f32), [try convert(values[0], to: .u32, context: "the argument of \(name)")])
        case .pack4xI8, .pack4xI8Clamp:
            try expect(1)
            return try result(.u32, [try convert(values[0], to: .vector(4, .i32), context: "the argument of \(name)")])
        case .pack4xU8, .pack4xU8Clamp:
            try expect(1)
            return try result(.u32, [try convert(values[0], to: .vector(4, .u32), context: "the argument of \(name)")])
        case .unpack4xI8:
            try expect(1)
            return try result(.vector(4, .i32), [try convert(values[0], to: .u32, context: "the argument of \(name)")])
        case .unpack4xU8:
            try expect(1)
            return try result(.vector(4, .u32), [try convert(values[0], to: .u32, context: "the argument of \(name)")])
        case .dot4U8Packed, .dot4I8Packed:
            try expect(2)
            let args = try values.map { try convert($0, to: .u32, context: "an argument of \(name)") }
            return try result(f == .dot4U8Packed ? .u32 : .i32, args)
        case .workgroupBarrier, .storageBarrier:
            try expect(0)
            return BuiltinCall(expression: nil, arguments: [])
        case .subgroupAdd, .subgroupMul, .subgroupMin, .subgroupMax, .subgroupExclusiveAdd, .subgroupExclusiveMul,
             .subgroupInclusiveAdd, .subgroupInclusiveMul, .subgroupBroadcastFirst:
            try expect(1)
            let a = try concretize(values[0])
            guard a.type.isNumericScalarOrVector else { throw bad("needs a numeric scalar or vector, found \(module.describe(a.type))") }
            return try result(a.type, [a])
        case .subgroupAnd, .subgroupOr, .subgroupXor:
            try expect(1)
            let a = try concretize(values[0])
            guard a.type.isNumericScalarOrVector, a.type.scalarKind?.isInteger == true else { throw bad("needs an integer scalar or vector") }
            return try result(a.type, [a])
        case .subgroupAll, .subgroupAny:
            try expect(1)
            guard values[0].type == .bool else { throw bad("needs a bool") }
            return try result(.bool, values)
        case .subgroupBallot:
            guard values.count <= 1 else { throw bad("takes at most one bool") }
            if let predicate = values.first, predicate.type != .bool { throw bad("needs a bool") }
            return try result(.vector(4, .u32), values.isEmpty ? [IRExpression(kind: .literal(.bool(true)), type: .bool, span: span)] : values)
        case .subgroupElect:
            try expect(0)
            return try result(.bool, [])
        case .subgroupBroadcast, .subgroupShuffle, .subgroupShuffleXor, .subgroupShuffleUp, .subgroupShuffleDown:
            try expect(2)
            let a = try concretize(values[0])
            guard a.type.isNumericScalarOrVector else { throw bad("needs a numeric scalar or vector") }
            var lane = try concretize(values[1])
            guard lane.type == .u32 || lane.type == .i32 else { throw bad("the lane must be u32 or i32") }
            if f == .subgroupBroadcast {
                guard try constantValue(of: lane) != nil else { throw bad("the lane must be a constant (use subgroupShuffle for a dynamic lane)") }
            }
            if lane.type == .i32 { lane = IRExpression(kind: .convert(lane), type: .u32, span: lane.span) }
            return try result(a.type, [a, lane])
        default:
            throw bad("unsupported")
        }
    }

    private func floatOperand(_ e: IRExpression) throws -> IRExpression {
        if e.type.leafScalar == .abstractInt {
            return try convert(e, to: e.type.withScalar(.abstractFloat), context: "the argument")
        }
        return e
    }

    private func describeAll(_ arguments: [IRExpression]) -> String {
        arguments.map { module.describe($0.type) }.joined(separator: ", ")
    }

    /// Builtins whose first argument is a pointer: arrayLength, workgroupUniformLoad, atomics.
    private func pointerBuiltin(_ f: BuiltinFunction, _ arguments: [IRExpression], span: SourceSpan) throws -> BuiltinCall {
        let name = f.rawValue
        guard let pointer = arguments.first, case .pointer(let space, let pointee, let access) = pointer.type else {
            throw CompileError("\(name) needs a pointer as its first argument: pass '&variable'", arguments.first?.span ?? span)
        }
        switch f {
        case .arrayLength:
            guard arguments.count == 1, case .array(_, .runtime) = pointee, space == .storage else {
                throw CompileError("arrayLength needs a pointer to a runtime-sized array in storage: arrayLength(&buffer.values)", span)
            }
            return BuiltinCall(expression: IRExpression(kind: .builtin(f, arguments), type: .u32, span: span), arguments: arguments)
        case .workgroupUniformLoad:
            guard arguments.count == 1, space == .workgroup else {
                throw CompileError("workgroupUniformLoad needs a pointer to a var<workgroup>", span)
            }
            if case .atomic = pointee { throw CompileError("workgroupUniformLoad cannot load an atomic", span) }
            return BuiltinCall(expression: IRExpression(kind: .builtin(f, arguments), type: pointee, span: span), arguments: arguments)
        default:
            break
        }
        guard case .atomic(let kind) = pointee else {
            throw CompileError("\(name) needs a pointer to an atomic<u32> or atomic<i32>, found \(module.describe(pointer.type))", pointer.span)
        }
        guard space == .storage || space == .workgroup else {
            throw CompileError("atomics live in var<storage, read_write> or var<workgroup>", pointer.span)
        }
        if f != .atomicLoad && access == .read {
            throw CompileError("\(name) writes memory, but the buffer is declared var<storage, read>: declare it read_write", pointer.span)
        }
        let expectedCount = f == .atomicLoad ? 1 : (f == .atomicCompareExchangeWeak ? 3 : 2)
        guard arguments.count == expectedCount else {
            throw CompileError("\(name) takes \(expectedCount) arguments, found \(arguments.count)", span)
        }
        let operands = try arguments.dropFirst().map { try convert(autoDeref($0), to: .scalar(kind), context: "an operand of \(name)") }
        let all = [pointer] + operands
        if f == .atomicStore { return BuiltinCall(expression: nil, arguments: all) }
        if f == .atomicCompareExchangeWeak {
            let resultStruct = compareExchangeResultStruct(kind)
            return BuiltinCall(expression: IRExpression(kind: .builtin(f, all), type: .structure(resultStruct), span: span), arguments: all)
        }
        return BuiltinCall(expression: IRExpression(kind: .builtin(f, all), type: .scalar(kind), span: span), arguments: all)
    }

    /// WGSL's predeclared `__atomic_compare_exchange_result<T>`, added to the module on first use.
    private func compareExchangeResultStruct(_ kind: ScalarKind) -> Int {
        let name = "atomic_compare_exchange_result_\(kind.wgslName)"
        if let index = module.structs.firstIndex(where: { $0.name == name }) { return index }
        module.structs.append(IRStruct(name: name, members: [
            IRStructMember(name: "old_value", type: .scalar(kind), span: .none),
            IRStructMember(name: "exchanged", type: .bool, span: .none),
        ], span: .none))
        return module.structs.count - 1
    }
}
