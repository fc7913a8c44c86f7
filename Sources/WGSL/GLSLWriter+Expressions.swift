// Expressions. Binary operations are fully parenthesised so GLSL precedence never matters.
// Out-of-bounds policy ("restrict", as wgpu's default): a dynamic index into an array, vector or
// matrix is clamped to the last element, for reads and writes alike; constant indices are checked
// when translating, and indices GLSLWriter+BoundsProofs.swift proves in range, printed as they are.

extension GLSLWriter {
    func expr(_ e: IRExpression) throws -> String {
        if let name = hoisted[e] { return name }
        switch e.kind {
        case .literal(let value):
            return try literal(value, type: e.type, span: e.span)
        case .constant(let index):
            return constantNames[index]
        case .override(let index):
            return overrideNames[index]
        case .globalVariable(let index):
            let global = module.globals[index]
            if case .structure(let structIndex) = global.type, global.space == .storage || global.space == .uniform {
                // The block's members stand for the struct; copying it whole rebuilds the value.
                guard !module.structHasRuntimeArray(structIndex) else {
                    throw CompileError("'\(global.name)' holds a runtime-sized array and cannot be copied as a whole", e.span)
                }
                let members = memberNames[structIndex].map { "\(globalNames[index]).\($0)" }
                return "\(structNames[structIndex])(\(members.joined(separator: ", ")))"
            }
            return globalNames[index]
        case .localVariable(let index):
            return localNames[index]
        case .parameter(let index):
            return parameterNames[index]
        case .access(let base, let index):
            return try access(base, index, span: e.span)
        case .member(let base, let index):
            guard case .structure(let structIndex) = base.type else {
                throw CompileError("internal: member of a non-struct", e.span)
            }
            return "\(try place(base)).\(memberNames[structIndex][index])"
        case .swizzle(let base, let components):
            let letters = components.map { ["x", "y", "z", "w"][$0] }.joined()
            return "\(try operand(base)).\(letters)"
        case .unary(let op, let operand):
            let text = try expr(operand)
            switch op {
            case .negate: return "(-\(text))"
            case .logicalNot: return operand.type.isVector ? "not(\(text))" : "(!\(text))"
            case .bitwiseNot: return "(~\(text))"
            }
        case .binary(let op, let lhs, let rhs):
            return try binary(op, lhs, rhs, resultType: e.type, span: e.span)
        case .call(let function, let arguments):
            return "\(functionNames[function])(\(try arguments.map(argument).joined(separator: ", ")))"
        case .builtin(let f, let arguments):
            return try builtin(f, arguments, type: e.type, span: e.span)
        case .construct(let arguments):
            let typeName = try glslType(e.type, span: e.span)
            return "\(typeName)(\(try arguments.map(expr).joined(separator: ", ")))"
        case .convert(let operand):
            let typeName = try glslType(e.type, span: e.span)
            if operand.type.scalarKind == .f32, let to = e.type.scalarKind, to == .u32 || to == .i32 {
                // WGSL clamps float → integer conversions to the target's range; GLSL leaves
                // out-of-range values undefined. The bounds are the extreme floats inside it.
                let (low, high) = to == .u32 ? ("0.0", "4294967040.0") : ("-2147483648.0", "2147483520.0")
                let floatType = try glslType(operand.type, span: e.span)
                let bound = { (v: String) in operand.type.isVector ? "\(floatType)(\(v))" : v }
                return "\(typeName)(clamp(\(try expr(operand)), \(bound(low)), \(bound(high))))"
            }
            return "\(typeName)(\(try expr(operand)))"
        case .bitcast(let operand):
            return try bitcast(operand, to: e.type, span: e.span)
        case .addressOf(let target):
            return try place(target)
        case .deref(let pointer):
            return try place(pointerTarget(pointer))
        }
    }

    /// The location a pointer expression designates: `&x` → x; a pointer `let` → what it was
    /// bound to; a pointer parameter stands for itself (GLSL `inout`).
    func pointerTarget(_ pointer: IRExpression) throws -> IRExpression {
        switch pointer.kind {
        case .addressOf(let target):
            return target
        case .localVariable(let index):
            guard let bound = pointerLets[index] else {
                throw CompileError("internal: pointer let without a target", pointer.span)
            }
            return try pointerTarget(bound)
        case .parameter:
            return IRExpression(kind: pointer.kind, type: pointer.type.pointee ?? pointer.type, span: pointer.span)
        default:
            throw CompileError("this pointer expression is not supported by the GLSL writer", pointer.span)
        }
    }

    /// A memory location as GLSL text (a variable with member and index accesses).
    func place(_ e: IRExpression) throws -> String {
        if case .globalVariable(let index) = e.kind { return globalNames[index] }
        if case .parameter(let index) = e.kind { return parameterNames[index] }
        return try operand(e)
    }

    /// `text` without one pair of parentheses around the whole of it, for places where GLSL
    /// needs none (conditions, initializers, right-hand sides).
    static func bare(_ text: String) -> String {
        guard text.hasPrefix("("), text.hasSuffix(")") else { return text }
        var depth = 0
        for (offset, character) in text.enumerated() {
            if character == "(" { depth += 1 }
            if character == ")" { depth -= 1 }
            if depth == 0 && offset < text.count - 1 { return text }
        }
        return String(text.dropFirst().dropLast())
    }

    /// Text usable as the base of `.member`, `[i]` or `.xyz`: names stay bare, others are wrapped.
    func operand(_ e: IRExpression) throws -> String {
        switch e.kind {
        case .globalVariable(let index) where e.type.isBlockStruct(module: module, global: module.globals[index]):
            return globalNames[index]
        case .localVariable, .parameter, .constant, .override, .access, .member, .swizzle, .globalVariable, .deref, .call, .builtin:
            return try expr(e)
        default:
            let text = try expr(e)
            return text.hasPrefix("(") && text.hasSuffix(")") ? text : "(\(text))"
        }
    }

    /// Arguments: pointers pass the location they designate (the parameter is `inout`).
    func argument(_ e: IRExpression) throws -> String {
        if case .pointer = e.type { return try place(pointerTarget(e)) }
        return try expr(e)
    }

    private func access(_ base: IRExpression, _ index: IRExpression, span: SourceSpan) throws -> String {
        let baseText = try operand(base)
        if case .literal(let value) = index.kind {
            // Constant indices were bounds-checked by the resolver; for a runtime-sized array
            // only index 0 is known to stay in bounds (clamping would give 0 too).
            if case .array(_, .runtime) = base.type, value != .int(0) {} else {
                return "\(baseText)[\(try expr(index))]"
            }
        }
        if case .array(_, let count) = base.type, isProvablyInBounds(index, count: count) {
            return "\(baseText)[\(try expr(index))]"
        }
        let indexText = index.type == .u32 ? try expr(index) : "uint(\(try expr(index)))"
        let last: String
        switch base.type {
        case .vector(let n, _): last = "\(n - 1)u"
        case .matrix(let c, _, _): last = "\(c - 1)u"
        case .array(_, .constant(let n)): last = "\(n - 1)u"
        case .array(_, .overrideExpression(let count)):
            let countText = try expr(count)
            last = "(\(count.type == .u32 ? countText : "uint(\(countText))") - 1u)"
        case .array(_, .runtime): last = "(uint(\(baseText).length()) - 1u)"
        default: throw CompileError("internal: indexing \(module.describe(base.type))", span)
        }
        return "\(baseText)[min(\(indexText), \(last))]"
    }

    private func binary(_ op: BinaryOperator, _ lhs: IRExpression, _ rhs: IRExpression, resultType: IRType, span: SourceSpan) throws -> String {
        let a = try expr(lhs)
        let b = try expr(rhs)
        let kind = lhs.type.scalarKind ?? .f32
        switch op {
        case .divide where kind.isInteger:
            if GLSLWriter.isSafeDivisor(rhs, kind: kind) { return "(\(a) / \(b))" }
            let (x, y) = try splatOperands(lhs, a, rhs, b, resultType: resultType)
            return "\(use(.intDivide, for: resultType))(\(x), \(y))"
        case .remainder where kind.isInteger:
            if kind == .u32 && GLSLWriter.isSafeDivisor(rhs, kind: kind) { return "(\(a) % \(b))" }
            let (x, y) = try splatOperands(lhs, a, rhs, b, resultType: resultType)
            return "\(use(.intRemainder, for: resultType))(\(x), \(y))"
        case .remainder:
            let (x, y) = try splatOperands(lhs, a, rhs, b, resultType: resultType)
            return "\(use(.floatRemainder, for: resultType))(\(x), \(y))"
        case .shiftLeft, .shiftRight:
            if case .literal = rhs.kind { return "(\(a) \(op.rawValue) \(b))" }
            if case .binary(.and, _, let mask) = rhs.kind, case .literal(let value) = mask.kind,
               value.components.allSatisfy({ ($0.intValue ?? 32) < 32 }) {
                return "(\(a) \(op.rawValue) \(b))"
            }
            let mask = rhs.type.isVector ? "\(try glslType(rhs.type, span: span))(31u)" : "31u"
            return "(\(a) \(op.rawValue) (\(b) & \(mask)))"
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual:
            if lhs.type.isVector {
                let names: [BinaryOperator: String] = [.equal: "equal", .notEqual: "notEqual", .less: "lessThan",
                                                       .lessEqual: "lessThanEqual", .greater: "greaterThan", .greaterEqual: "greaterThanEqual"]
                return "\(names[op]!)(\(a), \(b))"
            }
            return "(\(a) \(op.rawValue) \(b))"
        case .and where kind == .bool, .or where kind == .bool:
            if lhs.type.isVector {
                let n = lhs.type.vectorSize!
                return "bvec\(n)(uvec\(n)(\(a)) \(op.rawValue) uvec\(n)(\(b)))"
            }
            // WGSL's non-short-circuit form: both sides always run.
            if GLSLWriter.hasSideEffects(rhs) { return "bool(uint(\(a)) \(op.rawValue) uint(\(b)))" }
            return "(\(a) \(op == .and ? "&&" : "||") \(b))"
        default:
            return "(\(a) \(op.rawValue) \(b))"
        }
    }

    /// Helpers take operands of one type: a scalar mixed with a vector is splatted.
    private func splatOperands(_ lhs: IRExpression, _ a: String, _ rhs: IRExpression, _ b: String, resultType: IRType) throws -> (String, String) {
        let typeName = try glslType(resultType, span: lhs.span)
        return (lhs.type == resultType ? a : "\(typeName)(\(a))", rhs.type == resultType ? b : "\(typeName)(\(b))")
    }

    /// A literal divisor that is never zero (and, for i32, never -1) needs no helper.
    static func isSafeDivisor(_ e: IRExpression, kind: ScalarKind) -> Bool {
        guard case .literal(let value) = e.kind else { return false }
        return value.components.allSatisfy { component in
            guard let v = component.intValue else { return false }
            return v != 0 && !(kind == .i32 && v == -1)
        }
    }

    static func hasSideEffects(_ e: IRExpression) -> Bool {
        switch e.kind {
        case .call: return true
        case .builtin(let f, let args): return f.isAtomic || f == .workgroupUniformLoad || args.contains(where: hasSideEffects)
        default: return Resolver.operands(of: e).contains { $0 != e && hasSideEffects($0) }
        }
    }

    private func bitcast(_ operand: IRExpression, to target: IRType, span: SourceSpan) throws -> String {
        let text = try expr(operand)
        let from = operand.type.scalarKind!
        let to = target.scalarKind!
        let targetName = try glslType(target, span: span)
        switch (from, to) {
        case (.f32, .u32): return "floatBitsToUint(\(text))"
        case (.f32, .i32): return "floatBitsToInt(\(text))"
        case (.u32, .f32): return "uintBitsToFloat(\(text))"
        case (.i32, .f32): return "intBitsToFloat(\(text))"
        case (.i32, .u32), (.u32, .i32): return "\(targetName)(\(text))"
        case (.u32, .f16) where target.vectorSize == 2:
            extensions.insert(GLSLWriter.float16Arithmetic)
            return "unpackFloat2x16(\(text))"
        case (.f16, .u32) where operand.type.vectorSize == 2:
            extensions.insert(GLSLWriter.float16Arithmetic)
            return "packFloat2x16(\(text))"
        default:
            throw CompileError("bitcast from \(module.describe(operand.type)) to \(module.describe(target)) is not supported by the GLSL writer", span)
        }
    }
}

extension IRType {
    /// A struct-typed storage or uniform variable, which GLSL declares as a block instance.
    func isBlockStruct(module: IRModule, global: IRGlobal) -> Bool {
        if case .structure = self { return global.space == .storage || global.space == .uniform }
        return false
    }
}
