// `if` statements decided by overrides become preprocessor conditionals.
//
// An override is a `#define OVERRIDE_<name>` macro in the GLSL (set by the host when it builds a
// program), so an `if` whose condition reads only overrides, constants and literals can be
// decided by the GLSL preprocessor: `if (SUBGROUPS == 1u) { a } else { b }` becomes
// `#if (OVERRIDE_SUBGROUPS == 1)` / a / `#else` / b / `#endif`. The branch not taken never reaches
// the GLSL compiler, so it may use what the driver lacks (subgroup operations behind an
// `#extension … : enable`), and each specialisation compiles only its own code.
//
// Preprocessor expressions are integer-only, so a condition is lowered only when it can be
// written exactly as one: u32/i32 overrides with a literal default (a default computed from other
// overrides expands to GLSL constants, which the preprocessor cannot see; bool overrides are
// `true`/`false`, which it does not know), u32/i32 literals and constants below 2^31 (preprocessor
// arithmetic is signed), bool literals and constants (1/0), the comparisons == != < <= > >=, and
// && || !. Everything else stays a runtime `if`. The host must give such overrides values below
// 2^31 (it writes larger ones with a `u` suffix, which `#if` need not accept).
//
// The branches are written without braces: every local has a name unique in its function
// (Namer), so flattening their scopes cannot capture or collide.

extension GLSLWriter {
    /// The `#if` expression equivalent to `condition`, or nil when it must stay a runtime `if`.
    func preprocessorCondition(_ condition: IRExpression) -> String? {
        guard condition.type == .scalar(.bool) else { return nil }
        return preprocessorOperand(condition)
    }

    private func preprocessorOperand(_ e: IRExpression) -> String? {
        switch e.kind {
        case .literal(let value):
            return preprocessorLiteral(value, type: e.type)
        case .constant(let index):
            let constant = module.constants[index]
            return preprocessorLiteral(constant.value, type: constant.type)
        case .override(let index):
            let item = module.overrides[index]
            guard item.defaultValue != nil, item.type == .scalar(.u32) || item.type == .scalar(.i32) else { return nil }
            return GLSLWriter.overrideMacro(item.name)
        case .unary(.logicalNot, let operand):
            guard operand.type == .scalar(.bool), let inner = preprocessorOperand(operand) else { return nil }
            return "!\(GLSLWriter.parenthesised(inner))"
        case .binary(let op, let left, let right):
            let operandsAreBool = left.type == .scalar(.bool) && right.type == .scalar(.bool)
            let operandsAreIntegers = left.type == right.type && (left.type == .scalar(.u32) || left.type == .scalar(.i32))
            switch op {
            case .logicalAnd, .logicalOr:
                guard operandsAreBool else { return nil }
            case .equal, .notEqual:
                guard operandsAreBool || operandsAreIntegers else { return nil }
            case .less, .lessEqual, .greater, .greaterEqual:
                guard operandsAreIntegers else { return nil }
            default:
                return nil
            }
            guard let a = preprocessorOperand(left), let b = preprocessorOperand(right) else { return nil }
            return "(\(a) \(op.rawValue) \(b))"
        default:
            return nil
        }
    }

    private func preprocessorLiteral(_ value: ConstantValue, type: IRType) -> String? {
        switch (type, value) {
        case (.scalar(.bool), .bool(let b)):
            return b ? "1" : "0"
        case (.scalar(.u32), .int(let v)), (.scalar(.i32), .int(let v)):
            // Kept within (-2^31, 2^31): the preprocessor's arithmetic is signed and `-2147483648`
            // is the negation of a literal that does not fit.
            guard v > Int64(Int32.min), v <= Int64(Int32.max) else { return nil }
            return v < 0 ? "(\(v))" : "\(v)"
        default:
            return nil
        }
    }

    private static func parenthesised(_ text: String) -> String {
        text.hasPrefix("(") && text.hasSuffix(")") && balancedOuterParentheses(text) ? text : "(\(text))"
    }

    /// Whether the first `(` of `text` closes at its last character.
    private static func balancedOuterParentheses(_ text: String) -> Bool {
        var depth = 0
        for (offset, character) in text.enumerated() {
            if character == "(" { depth += 1 }
            if character == ")" { depth -= 1 }
            if depth == 0 { return offset == text.count - 1 }
        }
        return false
    }

    /// `#if condition` / then / (`#elif …` / `#else` / otherwise) / `#endif`, at the current
    /// indentation, the branches' statements unbraced (see the file comment).
    func writePreprocessorIf(_ condition: String, then: [IRStatement], otherwise: [IRStatement]) throws {
        line("#if \(condition)")
        try writePreprocessorBranches(then: then, otherwise: otherwise)
        line("#endif")
    }

    private func writePreprocessorBranches(then: [IRStatement], otherwise: [IRStatement]) throws {
        try statements(then)
        if otherwise.isEmpty { return }
        if otherwise.count == 1, case .ifElse(let condition, let innerThen, let innerOtherwise) = otherwise[0],
           let inner = preprocessorCondition(condition) {
            line("#elif \(inner)")
            try writePreprocessorBranches(then: innerThen, otherwise: innerOtherwise)
            return
        }
        line("#else")
        try statements(otherwise)
    }
}
