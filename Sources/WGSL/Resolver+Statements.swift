// Statements: declarations open scopes, assignments check that the target is writable, control
// flow checks where `break`, `continue` and `return` may appear.

extension Resolver {
    func block(_ statements: [AST.Statement], newScope: Bool = true) throws -> [IRStatement] {
        if newScope { function.scopes.append([:]) }
        defer { if newScope { function.scopes.removeLast() } }
        var result: [IRStatement] = []
        for statement in statements {
            if let resolved = try self.statement(statement) { result.append(resolved) }
        }
        return result
    }

    private func declareName(_ name: String, _ symbol: LocalSymbol, span: SourceSpan) throws {
        if function.scopes[function.scopes.count - 1][name] != nil {
            throw CompileError("'\(name)' is already declared in this scope", span)
        }
        function.scopes[function.scopes.count - 1][name] = symbol
    }

    private func addLocal(_ name: String, type: IRType, isMutable: Bool, span: SourceSpan) throws -> Int {
        function.locals.append(IRLocal(name: name, type: type, isMutable: isMutable, span: span))
        let index = function.locals.count - 1
        try declareName(name, .local(index), span: span)
        return index
    }

    /// Resolves one statement; nil for statements that leave no code (function-scope `const`).
    func statement(_ statement: AST.Statement) throws -> IRStatement? {
        try nested(at: AST.span(of: statement)) { try unnestedStatement(statement) }
    }

    private func unnestedStatement(_ statement: AST.Statement) throws -> IRStatement? {
        switch statement {
        case .block(let inner):
            return .block(try block(inner.statements))
        case .variable(let decl):
            if let space = decl.addressSpace, space != "function" {
                throw CompileError("var<\(space)> is only allowed at module scope", decl.span)
            }
            var initializer: IRExpression?
            var type: IRType
            if let typeAST = decl.type {
                type = try resolveType(typeAST)
                if let initAST = decl.initializer {
                    initializer = try convert(autoDeref(try expression(initAST)), to: type, context: "the initializer of '\(decl.name)'")
                }
            } else if let initAST = decl.initializer {
                let value = try concretize(autoDeref(try expression(initAST)))
                initializer = value
                type = value.type
            } else {
                throw CompileError("'var \(decl.name)' needs a type or an initializer", decl.span)
            }
            guard type.isConstructible(in: module) else {
                throw CompileError("a function variable cannot have type \(module.describe(type))", decl.span)
            }
            let index = try addLocal(decl.name, type: type, isMutable: true, span: decl.nameSpan)
            return .declare(local: index, initializer: initializer)
        case .letBinding(let decl):
            guard let initAST = decl.initializer else {
                throw CompileError("'let \(decl.name)' needs an initializer", decl.span)
            }
            var value = try expression(initAST)
            if case .pointer = value.type {} else { value = autoDeref(value) }
            if let typeAST = decl.type {
                value = try convert(value, to: try resolveType(typeAST), context: "the initializer of '\(decl.name)'")
            } else {
                value = try concretize(value)
            }
            if case .pointer = value.type {
                guard case .addressOf = value.kind else {
                    throw CompileError("a pointer 'let' must be initialised with '&variable' (the translator substitutes it)", value.span)
                }
            } else if case .atomic = value.type {
                throw CompileError("atomics cannot be copied into a let: use atomicLoad", value.span)
            }
            let index = try addLocal(decl.name, type: value.type, isMutable: false, span: decl.nameSpan)
            return .declare(local: index, initializer: value)
        case .constant(let decl):
            guard let initAST = decl.initializer else {
                throw CompileError("const '\(decl.name)' needs an initializer", decl.span)
            }
            var value = try expression(initAST)
            if let typeAST = decl.type {
                value = try convert(value, to: try resolveType(typeAST), context: "the initializer of '\(decl.name)'")
            }
            guard let constant = try constantValue(of: value) else {
                throw CompileError("the initializer of const '\(decl.name)' is not a constant expression: use 'let'", value.span)
            }
            try declareName(decl.name, .constant(IRExpression(kind: .literal(constant), type: value.type, span: value.span)), span: decl.nameSpan)
            return nil
        case .assignment(let lhsAST, let op, let rhsAST, let span):
            let target = try expression(lhsAST)
            try checkWritable(target)
            let rhs = autoDeref(try expression(rhsAST))
            guard let opName = op else {
                return .assign(target: target, value: try convert(rhs, to: target.type, context: "the assigned value"))
            }
            let combined = try binary(opName, target, rhs, span: span, opSpan: span)
            guard combined.type == target.type, case .binary(let binaryOperator, _, let value) = combined.kind else {
                throw CompileError("the result of '\(opName)=' is \(module.describe(combined.type)), which cannot be stored in \(module.describe(target.type))", span)
            }
            return .compoundAssign(op: binaryOperator, target: target, value: value)
        case .increment(let targetAST, let span), .decrement(let targetAST, let span):
            let target = try expression(targetAST)
            try checkWritable(target)
            guard target.type == .i32 || target.type == .u32 else {
                throw CompileError("'++' and '--' need an i32 or u32 variable, found \(module.describe(target.type))", span)
            }
            var isIncrement = false
            if case .increment = statement { isIncrement = true }
            let one = IRExpression(kind: .literal(.int(1)), type: target.type, span: span)
            return .compoundAssign(op: isIncrement ? .add : .subtract, target: target, value: one)
        case .phonyAssignment(let valueAST, _):
            if case .call = valueAST.kind {
                switch try call(valueAST, asStatement: false) {
                case .value(let value): return .evaluate(value)
                case .statement(let s): return s
                }
            }
            _ = try expression(valueAST)
            return nil
        case .call(let callAST, _):
            switch try call(callAST, asStatement: true) {
            case .value(let value):
                if case .call = value.kind { return .evaluate(value) }
                if case .builtin(let f, _) = value.kind, f.isAtomic || f == .workgroupUniformLoad { return .evaluate(value) }
                throw CompileError("the result of this call is unused: assign it, or write '_ = ...' to drop it", callAST.span)
            case .statement(let s):
                return s
            }
        case .ifElse(let conditionAST, let thenAST, let otherwiseAST, _):
            let condition = try boolCondition(conditionAST, what: "an if condition")
            let then = try block(thenAST.statements)
            var otherwise: [IRStatement] = []
            if let other = otherwiseAST {
                if case .block(let b) = other { otherwise = try block(b.statements) } else if let s = try self.statement(other) { otherwise = [s] }
            }
            return .ifElse(condition: condition, then: then, otherwise: otherwise)
        case .switchStatement(let selectorAST, let clauses, let span):
            return try switchStatement(selectorAST, clauses, span: span)
        case .loop(let bodyAST, let continuingAST, _):
            function.loopDepth += 1
            function.scopes.append([:])
            let body = try block(bodyAST.statements, newScope: false)
            // The GLSL runs the continuing block at the top of the next iteration, where the
            // body's declarations are out of scope; WGSL lets continuing see them, so such a use
            // is refused by name (see hiddenFromContinuing) instead of producing invalid GLSL.
            let bodyNames = Set(function.scopes.removeLast().keys)
            function.loopDepth -= 1
            var continuing: [IRStatement] = []
            var breakIf: IRExpression?
            if let c = continuingAST {
                let saved = (function.inContinuing, function.hiddenFromContinuing, function.continuingScopeDepth)
                function.inContinuing = true
                function.hiddenFromContinuing = bodyNames
                function.continuingScopeDepth = function.scopes.count
                function.scopes.append([:])
                continuing = try block(c.body.statements, newScope: false)
                if let condition = c.breakIf { breakIf = try boolCondition(condition, what: "a 'break if' condition") }
                function.scopes.removeLast()
                (function.inContinuing, function.hiddenFromContinuing, function.continuingScopeDepth) = saved
            }
            return .loop(body: body, continuing: continuing, breakIf: breakIf)
        case .forLoop(let initAST, let conditionAST, let updateAST, let bodyAST, _):
            function.scopes.append([:])
            defer { function.scopes.removeLast() }
            let initializer = try initAST.flatMap { try self.statement($0) }
            let condition = try conditionAST.map { try boolCondition($0, what: "a for-loop condition") }
            let update = try updateAST.flatMap { try self.statement($0) }
            function.loopDepth += 1
            let body = try block(bodyAST.statements)
            function.loopDepth -= 1
            return .forLoop(initializer: initializer, condition: condition, update: update, body: body)
        case .whileLoop(let conditionAST, let bodyAST, _):
            let condition = try boolCondition(conditionAST, what: "a while condition")
            function.loopDepth += 1
            let body = try block(bodyAST.statements)
            function.loopDepth -= 1
            return .whileLoop(condition: condition, body: body)
        case .breakStatement(let span):
            guard function.loopDepth > 0 || function.switchDepth > 0 else {
                throw CompileError("'break' outside a loop or switch", span)
            }
            if function.inContinuing && function.switchDepth == 0 {
                throw CompileError("'break' is not allowed in a continuing block: use 'break if'", span)
            }
            return .breakStatement
        case .continueStatement(let span):
            guard function.loopDepth > 0 else { throw CompileError("'continue' outside a loop", span) }
            if function.inContinuing { throw CompileError("'continue' is not allowed in a continuing block", span) }
            return .continueStatement
        case .returnStatement(let valueAST, let span):
            if function.inContinuing { throw CompileError("'return' is not allowed in a continuing block", span) }
            guard let valueAST = valueAST else {
                if let expected = function.returnType {
                    throw CompileError("this function must return a \(module.describe(expected))", span)
                }
                return .returnStatement(nil)
            }
            guard let expected = function.returnType else {
                throw CompileError("this function returns nothing: remove the value or declare '-> T'", valueAST.span)
            }
            return .returnStatement(try convert(autoDeref(try expression(valueAST)), to: expected, context: "the returned value"))
        case .discard(let span):
            throw CompileError("'discard' is only allowed in fragment shaders", span)
        case .constAssert(let condition, let span):
            let value = try expression(condition)
            guard value.type == .bool, let holds = try constantValue(of: value)?.boolValue else {
                throw CompileError("const_assert needs a constant bool expression", value.span)
            }
            if !holds { throw CompileError("const_assert failed", span) }
            return nil
        }
    }

    private func boolCondition(_ e: AST.Expression, what: String) throws -> IRExpression {
        let value = autoDeref(try expression(e))
        guard value.type == .bool else {
            throw CompileError("\(what) must be bool, found \(module.describe(value.type))\(value.type.isNumericScalarOrVector && value.type.isScalar ? ": compare it, e.g. x != 0" : "")", value.span)
        }
        return value
    }

    private func checkWritable(_ target: IRExpression) throws {
        guard let root = placeRoot(target) else {
            switch target.kind {
            case .localVariable(let index):
                throw CompileError("cannot assign to '\(function.locals[index].name)': it is a 'let'; declare it with 'var' to modify it", target.span)
            case .parameter(let index):
                throw CompileError("cannot assign to parameter '\(function.parameters[index].name)': copy it into a 'var' first", target.span)
            case .swizzle:
                throw CompileError("cannot assign to a multi-component swizzle: assign the components one by one", target.span)
            default:
                throw CompileError("cannot assign to this expression: it is a value, not a variable", target.span)
            }
        }
        if root.access == .read {
            throw CompileError("cannot write to '\(root.name)': it is declared \(root.space == .uniform ? "var<uniform>" : "var<storage, read>")\(root.space == .storage ? "; declare it var<storage, read_write>" : "")", target.span)
        }
        if case .atomic = target.type {
            throw CompileError("atomics are written with atomicStore / atomicAdd, not '='", target.span)
        }
    }

    private func switchStatement(_ selectorAST: AST.Expression, _ clauses: [AST.SwitchClause], span: SourceSpan) throws -> IRStatement {
        let selector = try concretize(autoDeref(try expression(selectorAST)))
        guard selector.type == .i32 || selector.type == .u32 else {
            throw CompileError("a switch selector must be i32 or u32, found \(module.describe(selector.type))", selector.span)
        }
        var seen: Set<ConstantValue> = []
        var hasDefault = false
        var cases: [IRSwitchCase] = []
        function.switchDepth += 1
        defer { function.switchDepth -= 1 }
        for clause in clauses {
            var selectors: [ConstantValue] = []
            var isDefault = false
            for selectorExpression in clause.selectors {
                guard let ast = selectorExpression else {
                    if hasDefault { throw CompileError("a switch can have only one 'default'", clause.span) }
                    hasDefault = true
                    isDefault = true
                    continue
                }
                let value = try convert(try expression(ast), to: selector.type, context: "a case selector")
                guard let constant = try constantValue(of: value) else {
                    throw CompileError("case selectors must be constant expressions", value.span)
                }
                if !seen.insert(constant).inserted {
                    throw CompileError("case value \(constant.intValue ?? 0) appears twice", value.span)
                }
                selectors.append(constant)
            }
            cases.append(IRSwitchCase(selectors: selectors, isDefault: isDefault, body: try block(clause.body.statements)))
        }
        if !hasDefault { throw CompileError("a switch needs a 'default' case", span) }
        return .switchStatement(selector: selector, cases: cases)
    }
}
