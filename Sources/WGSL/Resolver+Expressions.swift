// Expressions: name lookup, operator typing, constructors, conversions and calls. Every node whose
// operands are all literals is folded on the spot, so abstract values never outlive this file.

extension Resolver {
    enum CallResult {
        case value(IRExpression)
        case statement(IRStatement)
    }

    func lookupLocal(_ name: String) -> LocalSymbol? {
        for scope in function.scopes.reversed() {
            if let symbol = scope[name] { return symbol }
        }
        return nil
    }

    func expression(_ e: AST.Expression) throws -> IRExpression {
        try nested(at: e.span) { try unnestedExpression(e) }
    }

    private func unnestedExpression(_ e: AST.Expression) throws -> IRExpression {
        switch e.kind {
        case .parenthesized(let inner):
            return try expression(inner)
        case .boolLiteral(let value):
            return IRExpression(kind: .literal(.bool(value)), type: .bool, span: e.span)
        case .intLiteral(let value, let suffix):
            let kind: ScalarKind = suffix == "i" ? .i32 : (suffix == "u" ? .u32 : .abstractInt)
            guard value <= UInt64(Int64.max) else {
                throw CompileError("integer literal \(value) is too large", e.span)
            }
            let converted = try convertConstant(.int(Int64(value)), from: .abstractInt, to: kind, span: e.span)
            return IRExpression(kind: .literal(converted), type: .scalar(kind), span: e.span)
        case .floatLiteral(let value, let suffix):
            let kind: ScalarKind = suffix == "f" ? .f32 : (suffix == "h" ? .f16 : .abstractFloat)
            if kind == .f16 { try requireExtension("f16", span: e.span) }
            let converted = try convertConstant(.float(value), from: .abstractFloat, to: kind, span: e.span)
            return IRExpression(kind: .literal(converted), type: .scalar(kind), span: e.span)
        case .identifier(let name, let templateArguments):
            if templateArguments != nil {
                throw CompileError("'\(name)<...>' is a type: construct a value with \(name)<...>(...)", e.span)
            }
            return try identifier(name, span: e.span)
        case .call:
            switch try call(e, asStatement: false) {
            case .value(let value): return value
            case .statement: throw CompileError("this call returns nothing and cannot be used as a value", e.span)
            }
        case .unary(let op, let operandAST):
            return try unary(op, try expression(operandAST), span: e.span)
        case .binary(let op, let lhsAST, let rhsAST):
            return try binary(op, try expression(lhsAST), try expression(rhsAST), span: e.span, opSpan: e.span)
        case .index(let baseAST, let indexAST):
            return try index(try expression(baseAST), try expression(indexAST), span: e.span)
        case .member(let baseAST, let name, let nameSpan):
            return try member(try expression(baseAST), name: name, nameSpan: nameSpan, span: e.span)
        }
    }

    private func identifier(_ name: String, span: SourceSpan) throws -> IRExpression {
        if function.hiddenFromContinuing.contains(name),
           !function.scopes[min(function.continuingScopeDepth, function.scopes.count)...].contains(where: { $0[name] != nil }) {
            throw CompileError("the continuing block uses '\(name)', declared in the loop body: declare it before the loop (the GLSL runs continuing where body declarations are out of scope)", span)
        }
        if let symbol = lookupLocal(name) {
            switch symbol {
            case .local(let index):
                return IRExpression(kind: .localVariable(index), type: function.locals[index].type, span: span)
            case .parameter(let index):
                return IRExpression(kind: .parameter(index), type: function.parameters[index].type, span: span)
            case .constant(let value):
                return IRExpression(kind: value.kind, type: value.type, span: span)
            }
        }
        switch try resolveGlobal(name, usedAt: span) {
        case .constant(let index):
            let constant = module.constants[index]
            if constant.type.isAbstract {
                return IRExpression(kind: .literal(constant.value), type: constant.type, span: span)
            }
            return IRExpression(kind: .constant(index), type: constant.type, span: span)
        case .override(let index):
            return IRExpression(kind: .override(index), type: module.overrides[index].type, span: span)
        case .global(let index):
            return IRExpression(kind: .globalVariable(index), type: module.globals[index].type, span: span)
        case .function:
            throw CompileError("'\(name)' is a function: call it with \(name)(...)", span)
        case .structure, .alias:
            throw CompileError("'\(name)' is a type: construct a value with \(name)(...)", span)
        case nil:
            if Resolver.predeclaredTypeNames.contains(name) || Resolver.scalarKind(named: name) != nil {
                throw CompileError("'\(name)' is a type: construct a value with \(name)(...)", span)
            }
            if BuiltinFunction(rawValue: name) != nil {
                throw CompileError("'\(name)' is a builtin function: call it with \(name)(...)", span)
            }
            throw CompileError("unknown identifier '\(NameSuggestion.shown(name))'\(suggestion(for: name))", span)
        }
    }

    /// ": did you mean 'x'?" for the visible name closest to a misspelt one, or "".
    func suggestion(for name: String) -> String {
        var candidates = Set(declarations.keys)
        for scope in function.scopes { candidates.formUnion(scope.keys) }
        candidates.formUnion(BuiltinFunction.allCases.map(\.rawValue))
        var cells = 0
        guard let best = NameSuggestion.closest(to: name, among: candidates.sorted(), cells: &cells) else { return "" }
        return ": did you mean '\(best)'?"
    }

    // MARK: - Conversions

    /// Converts `e` to `target` where WGSL converts automatically (abstract → concrete); otherwise
    /// the types must already match.
    func convert(_ e: IRExpression, to target: IRType, context: String) throws -> IRExpression {
        if e.type == target { return e }
        if e.type.isAbstract, let from = e.type.leafScalar, let to = target.leafScalar,
           e.type.withScalar(to) == target, from.convertsAutomatically(to: to) {
            guard let value = try constantValue(of: e) else {
                throw CompileError("internal: abstract expression is not constant", e.span)
            }
            let converted = try convertConstant(value, from: from, to: to, span: e.span)
            return IRExpression(kind: .literal(converted), type: target, span: e.span)
        }
        throw CompileError("\(context) must be \(module.describe(target)), found \(module.describe(e.type))\(conversionHint(from: e.type, to: target))", e.span)
    }

    func conversionHint(from: IRType, to: IRType) -> String {
        guard let f = from.scalarKind, let t = to.scalarKind, f != t, from.withScalar(t) == to else { return "" }
        return ": convert it with \(module.describe(to))(...)"
    }

    /// Abstract values become i32 / f32 (or arrays and vectors of them); others are unchanged.
    func concretize(_ e: IRExpression) throws -> IRExpression {
        guard e.type.isAbstract else { return e }
        return try convert(e, to: e.type.concretized, context: "the value")
    }

    func convertConstant(_ value: ConstantValue, from: ScalarKind, to: ScalarKind, span: SourceSpan, exact: Bool = true) throws -> ConstantValue {
        do {
            return try ScalarConversion.convert(value, from: from, to: to, exact: exact)
        } catch let failure as ConversionFailure {
            throw CompileError(failure.message, span)
        }
    }

    /// Brings operands to one leaf scalar kind: abstract operands take the concrete kind of the
    /// others; all-abstract operands become abstract-float if any is a float.
    func unify(_ operands: [IRExpression], describing what: String, span: SourceSpan) throws -> [IRExpression] {
        let kinds = operands.compactMap { $0.type.leafScalar }
        guard kinds.count == operands.count else { return operands }
        let concrete = Set(kinds.filter { !$0.isAbstract })
        let target: ScalarKind
        if concrete.count > 1 {
            let names = operands.map { module.describe($0.type) }
            throw CompileError("cannot \(what) \(names.joined(separator: " and ")): convert one side, e.g. \(concrete.contains(.f32) ? "f32(x)" : "u32(x)")", span)
        } else if let only = concrete.first {
            target = only
        } else {
            target = kinds.contains(.abstractFloat) ? .abstractFloat : .abstractInt
        }
        return try operands.map { operand in
            guard let leaf = operand.type.leafScalar, leaf != target else { return operand }
            guard leaf.convertsAutomatically(to: target) else {
                let names = operands.map { module.describe($0.type) }
                throw CompileError("cannot \(what) \(names.joined(separator: " and ")): convert the integer side, e.g. f32(x)", span)
            }
            return try convert(operand, to: operand.type.withScalar(target), context: "the operand")
        }
    }

    /// Replaces an expression by its value when all its operands are literals.
    func folded(_ e: IRExpression) throws -> IRExpression {
        if case .literal = e.kind { return e }
        guard Resolver.operands(of: e).allSatisfy({ if case .literal = $0.kind { return true } else { return false } }) else {
            if e.type.isAbstract { throw CompileError("internal: abstract expression has non-constant operands", e.span) }
            return e
        }
        guard let value = try constantValue(of: e) else { return e }
        return IRExpression(kind: .literal(value), type: e.type, span: e.span)
    }

    static func operands(of e: IRExpression) -> [IRExpression] {
        switch e.kind {
        case .unary(_, let a), .convert(let a), .bitcast(let a), .member(let a, _), .swizzle(let a, _): return [a]
        case .binary(_, let a, let b), .access(let a, let b): return [a, b]
        case .construct(let args): return args
        case .builtin(let f, let args): return Resolver.foldableBuiltins.contains(f) ? args : [e]
        default: return [e]
        }
    }

    // MARK: - Operators

    func autoDeref(_ e: IRExpression) -> IRExpression {
        if let pointee = e.type.pointee {
            return IRExpression(kind: .deref(e), type: pointee, span: e.span)
        }
        return e
    }

    private func unary(_ op: String, _ operandIn: IRExpression, span: SourceSpan) throws -> IRExpression {
        switch op {
        case "&":
            guard let root = placeRoot(operandIn) else {
                throw CompileError("'&' needs a variable (or a part of one) to point to", operandIn.span)
            }
            if case .swizzle = operandIn.kind, case .vector = Resolver.baseOfSwizzle(operandIn)?.type {
                throw CompileError("cannot take the address of a vector component", operandIn.span)
            }
            return IRExpression(kind: .addressOf(operandIn), type: .pointer(root.space, operandIn.type, root.access), span: span)
        case "*":
            guard let pointee = operandIn.type.pointee else {
                throw CompileError("'*' needs a pointer, found \(module.describe(operandIn.type))", operandIn.span)
            }
            return IRExpression(kind: .deref(operandIn), type: pointee, span: span)
        default: break
        }
        let operand = autoDeref(operandIn)
        switch op {
        case "-":
            guard operand.type.isNumericScalarOrVector || isMatrix(operand.type), operand.type.scalarKind != .u32 else {
                throw CompileError("cannot negate \(module.describe(operand.type))\(operand.type.scalarKind == .u32 ? ": u32 has no negative values; use i32 or 0u - x" : "")", span)
            }
            return try folded(IRExpression(kind: .unary(.negate, operand), type: operand.type, span: span))
        case "!":
            guard operand.type.scalarKind == .bool, !isMatrix(operand.type) else {
                throw CompileError("'!' needs a bool, found \(module.describe(operand.type))", span)
            }
            return try folded(IRExpression(kind: .unary(.logicalNot, operand), type: operand.type, span: span))
        case "~":
            guard operand.type.isNumericScalarOrVector, operand.type.scalarKind?.isInteger == true else {
                throw CompileError("'~' needs an integer, found \(module.describe(operand.type))", span)
            }
            return try folded(IRExpression(kind: .unary(.bitwiseNot, operand), type: operand.type, span: span))
        default:
            throw CompileError("unknown unary operator '\(op)'", span)
        }
    }

    func isMatrix(_ type: IRType) -> Bool {
        if case .matrix = type { return true }
        return false
    }

    func binary(_ op: String, _ lhsIn: IRExpression, _ rhsIn: IRExpression, span: SourceSpan, opSpan: SourceSpan) throws -> IRExpression {
        guard let binaryOperator = BinaryOperator(rawValue: op) else {
            throw CompileError("unknown operator '\(op)'", span)
        }
        let lhs = autoDeref(lhsIn)
        let rhs = autoDeref(rhsIn)
        let verb = Resolver.verb(for: binaryOperator)
        switch binaryOperator {
        case .logicalAnd, .logicalOr:
            guard lhs.type == .bool, rhs.type == .bool else {
                throw CompileError("'\(op)' needs two bools, found \(module.describe(lhs.type)) and \(module.describe(rhs.type))", span)
            }
            return try folded(IRExpression(kind: .binary(binaryOperator, lhs, rhs), type: .bool, span: span))
        case .shiftLeft, .shiftRight:
            guard lhs.type.isNumericScalarOrVector, lhs.type.scalarKind?.isInteger == true else {
                throw CompileError("cannot shift \(module.describe(lhs.type)): shifts need i32 or u32", span)
            }
            var shiftee = lhs
            if lhs.type.isAbstract && !rhs.type.isAbstract { shiftee = try concretize(lhs) }
            let amountType = shiftee.type.isAbstract ? shiftee.type.withScalar(.abstractInt) : shiftee.type.withScalar(.u32)
            let amount = rhs.type.isAbstract && !shiftee.type.isAbstract ? try convert(rhs, to: amountType, context: "the shift amount") : rhs
            guard amount.type == amountType || (shiftee.type.isAbstract && amount.type.isAbstract) else {
                throw CompileError("the shift amount must be \(module.describe(shiftee.type.withScalar(.u32))), found \(module.describe(amount.type))", amount.span)
            }
            if case .literal(let v) = amount.kind, !shiftee.type.isAbstract, v.components.contains(where: { ($0.intValue ?? 0) >= 32 }) {
                throw CompileError("shift amount \(v.components.first?.intValue ?? 0) is not less than the bit width (32)", amount.span)
            }
            return try folded(IRExpression(kind: .binary(binaryOperator, shiftee, amount), type: shiftee.type, span: span))
        default:
            break
        }
        let operands = try unify([lhs, rhs], describing: verb, span: span)
        let a = operands[0], b = operands[1]
        guard let kind = a.type.scalarKind ?? a.type.leafScalar else {
            throw CompileError("cannot \(verb) \(module.describe(a.type)) and \(module.describe(b.type))", span)
        }
        let mismatch = CompileError("cannot \(verb) \(module.describe(a.type)) and \(module.describe(b.type))", span)
        switch binaryOperator {
        case .add, .subtract, .multiply, .divide, .remainder:
            if binaryOperator == .multiply, let product = matrixProductType(a.type, b.type) {
                return try folded(IRExpression(kind: .binary(.multiply, a, b), type: product, span: span))
            }
            guard kind.isNumeric else { throw mismatch }
            if case .matrix = a.type, a.type == b.type, binaryOperator == .add || binaryOperator == .subtract {
                return try folded(IRExpression(kind: .binary(binaryOperator, a, b), type: a.type, span: span))
            }
            guard let result = Resolver.componentwiseType(a.type, b.type) else { throw mismatch }
            return try folded(IRExpression(kind: .binary(binaryOperator, a, b), type: result, span: span))
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual:
            guard a.type == b.type, a.type.isNumericScalarOrVector || a.type.scalarKind == .bool, !isMatrix(a.type) else { throw mismatch }
            if kind == .bool && !(binaryOperator == .equal || binaryOperator == .notEqual) { throw mismatch }
            return try folded(IRExpression(kind: .binary(binaryOperator, a, b), type: a.type.withScalar(.bool), span: span))
        case .and, .or, .xor:
            guard a.type == b.type, kind.isInteger || (kind == .bool && binaryOperator != .xor), !isMatrix(a.type) else {
                if kind == .bool { throw CompileError("'^' does not apply to bool: use '!='", span) }
                throw mismatch
            }
            return try folded(IRExpression(kind: .binary(binaryOperator, a, b), type: a.type, span: span))
        default:
            throw mismatch
        }
    }

    static func verb(for op: BinaryOperator) -> String {
        switch op {
        case .add: return "add"
        case .subtract: return "subtract"
        case .multiply: return "multiply"
        case .divide: return "divide"
        case .remainder: return "take the remainder of"
        case .and, .or, .xor: return "apply '\(op.rawValue)' to"
        case .shiftLeft, .shiftRight: return "shift"
        case .logicalAnd, .logicalOr: return "apply '\(op.rawValue)' to"
        default: return "compare"
        }
    }

    /// Same-shape operands, or a vector with a scalar of its element type.
    static func componentwiseType(_ a: IRType, _ b: IRType) -> IRType? {
        switch (a, b) {
        case (.scalar(let x), .scalar(let y)) where x == y: return a
        case (.vector(let n, let x), .vector(let m, let y)) where n == m && x == y: return a
        case (.vector(_, let x), .scalar(let y)) where x == y: return a
        case (.scalar(let x), .vector(_, let y)) where x == y: return b
        default: return nil
        }
    }

    private func matrixProductType(_ a: IRType, _ b: IRType) -> IRType? {
        switch (a, b) {
        case (.matrix(let c, let r, let s), .scalar(let t)) where s == t: return a
        case (.scalar(let t), .matrix(_, _, let s)) where s == t: return b
        case (.matrix(let c, let r, let s), .vector(let n, let t)) where s == t && n == c: return .vector(r, s)
        case (.vector(let n, let t), .matrix(let c, let r, let s)) where s == t && n == r: return .vector(c, s)
        case (.matrix(let c1, let r1, let s), .matrix(let c2, let r2, let t)) where s == t && c1 == r2: return .matrix(columns: c2, rows: r1, s)
        default: return nil
        }
    }

    // MARK: - Access

    func index(_ baseIn: IRExpression, _ indexIn: IRExpression, span: SourceSpan) throws -> IRExpression {
        var base = autoDeref(baseIn)
        var indexValue = try concretize(autoDeref(indexIn))
        guard indexValue.type == .i32 || indexValue.type == .u32 else {
            throw CompileError("an index must be i32 or u32, found \(module.describe(indexValue.type))", indexValue.span)
        }
        let constantIndex = try constantValue(of: indexValue)?.intValue
        if base.type.isAbstract && constantIndex == nil { base = try concretize(base) }
        let elementType: IRType
        var bound: Int?
        switch base.type {
        case .vector(let n, let s): elementType = .scalar(s); bound = n
        case .matrix(let c, let r, let s): elementType = .vector(r, s); bound = c
        case .array(let element, let count):
            elementType = element
            if case .constant(let n) = count { bound = n }
        default:
            throw CompileError("cannot index into \(module.describe(base.type)): only arrays, vectors and matrices can be indexed", span)
        }
        if let i = constantIndex {
            if i < 0 || (bound.map { i >= $0 } ?? false) {
                throw CompileError("index \(i) is out of bounds for \(module.describe(base.type))", indexValue.span)
            }
            if indexValue.type == .i32 { indexValue = IRExpression(kind: .literal(.int(i)), type: .u32, span: indexValue.span) }
        }
        return try folded(IRExpression(kind: .access(base: base, index: indexValue), type: elementType, span: span))
    }

    func member(_ baseIn: IRExpression, name: String, nameSpan: SourceSpan, span: SourceSpan) throws -> IRExpression {
        let base = autoDeref(baseIn)
        switch base.type {
        case .structure(let index):
            let structure = module.structs[index]
            guard let memberIndex = structure.members.firstIndex(where: { $0.name == name }) else {
                let names = structure.members.map(\.name).joined(separator: ", ")
                throw CompileError("struct '\(structure.name)' has no member '\(NameSuggestion.shown(name))' (members: \(names))", nameSpan)
            }
            return try folded(IRExpression(kind: .member(base: base, index: memberIndex), type: structure.members[memberIndex].type, span: span))
        case .vector(let n, let s):
            let sets: [[Character]] = [["x", "y", "z", "w"], ["r", "g", "b", "a"]]
            guard (1...4).contains(name.count),
                  let set = sets.first(where: { set in name.allSatisfy { set.contains($0) } }) else {
                throw CompileError("'\(name)' is not a swizzle of \(module.describe(base.type)): use x, y, z, w (or r, g, b, a)", nameSpan)
            }
            let components = name.map { set.firstIndex(of: $0)! }
            if let bad = components.first(where: { $0 >= n }) {
                throw CompileError("component '\(set[bad])' does not exist in \(module.describe(base.type))", nameSpan)
            }
            let type: IRType = components.count == 1 ? .scalar(s) : .vector(components.count, s)
            return try folded(IRExpression(kind: .swizzle(base: base, components: components), type: type, span: span))
        default:
            throw CompileError("\(module.describe(base.type)) has no members", nameSpan)
        }
    }

    /// The variable an expression designates a part of, with where it lives and whether it may be
    /// written; nil for values (lets, parameters, results of operations).
    func placeRoot(_ e: IRExpression) -> (space: AddressSpace, access: AccessMode, name: String)? {
        switch e.kind {
        case .localVariable(let index):
            let local = function.locals[index]
            return local.isMutable ? (.function, .readWrite, local.name) : nil
        case .globalVariable(let index):
            let global = module.globals[index]
            return (global.space, global.access, global.name)
        case .deref(let pointer):
            if case .pointer(let space, _, let access) = pointer.type { return (space, access, "*pointer") }
            return nil
        case .access(let base, _), .member(let base, _):
            return placeRoot(base)
        case .swizzle(let base, let components) where components.count == 1:
            return placeRoot(base)
        default:
            return nil
        }
    }

    static func baseOfSwizzle(_ e: IRExpression) -> IRExpression? {
        if case .swizzle(let base, _) = e.kind { return base }
        return nil
    }
}
