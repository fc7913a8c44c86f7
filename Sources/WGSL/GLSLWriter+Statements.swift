// Functions and statements. `loop { ... continuing { ... } }` becomes a `while (true)` whose
// continuing part runs at the top of every iteration but the first, which keeps `continue`
// meaning "run the continuing block, then the next iteration" without a goto.
import Foundation

extension GLSLWriter {
    func writeFunction(_ index: Int) throws {
        let function = module.functions[index]
        currentFunction = function
        functionNamer = namer
        hoisted = [:]
        pointerLets = [:]
        loopBounds = [:]
        immutableLetValues = [:]
        parameterNames = function.parameters.map { functionNamer.name($0.name) }
        localNames = function.locals.map { functionNamer.name($0.name) }
        let isEntry = index == entryPoint.function
        if isEntry {
            writeEntryOpening()
            try indented {
                for (i, parameter) in function.parameters.enumerated() {
                    guard let builtin = parameter.builtin else { continue }
                    if builtin == .subgroupSize || builtin == .subgroupInvocationId {
                        extensions.insert("GL_KHR_shader_subgroup_basic")
                    }
                    line("\(try glslType(parameter.type, span: parameter.span)) \(parameterNames[i]) = \(builtin.glslName);")
                }
                try statements(function.body)
            }
        } else {
            let returnType = try function.returnType.map { try glslType($0, span: function.span) } ?? "void"
            let parameters = try function.parameters.enumerated().map { i, parameter -> String in
                if case .pointer(_, let pointee, _) = parameter.type {
                    return "inout \(try declaration(pointee, name: parameterNames[i], span: parameter.span))"
                }
                return try declaration(parameter.type, name: parameterNames[i], span: parameter.span)
            }
            line("\(returnType) \(functionNames[index])(\(parameters.joined(separator: ", "))) {")
            try indented { try statements(function.body) }
        }
        line("}")
        currentFunction = nil
    }

    func statements(_ list: [IRStatement]) throws {
        for statement in list { try self.statement(statement) }
    }

    private func fresh(_ base: String) -> String {
        functionNamer.name(base)
    }

    func statement(_ s: IRStatement) throws {
        switch s {
        case .declare(let local, let initializer):
            let variable = currentFunction!.locals[local]
            if case .pointer = variable.type {
                pointerLets[local] = initializer
                return
            }
            if !variable.isMutable, let initializer = initializer { immutableLetValues[local] = initializer }
            let value: String
            if let initializer = initializer {
                try hoist(from: initializer)
                value = GLSLWriter.bare(try expr(initializer))
            } else {
                value = try zeroValue(variable.type, span: variable.span)
            }
            line("\(try declaration(variable.type, name: localNames[local], span: variable.span)) = \(value);")
        case .assign(let target, let value):
            try hoist(from: value)
            if case .globalVariable(let index) = target.kind, target.type.isBlockStruct(module: module, global: module.globals[index]) {
                guard case .structure(let structIndex) = target.type else { return }
                let temporary = fresh("value")
                line("\(structNames[structIndex]) \(temporary) = \(try expr(value));")
                for member in memberNames[structIndex] {
                    line("\(globalNames[index]).\(member) = \(temporary).\(member);")
                }
                return
            }
            line("\(try place(target)) = \(GLSLWriter.bare(try expr(value)));")
        case .compoundAssign(let op, let target, let value):
            try hoist(from: value)
            line("\(try compoundAssignment(op, target, value));")
        case .evaluate(let value):
            try hoist(from: value)
            if hoisted[value] != nil { return }
            line("\(try expr(value));")
        case .callFunction(let function, let arguments):
            for argument in arguments { try hoist(from: argument) }
            line("\(functionNames[function])(\(try arguments.map(argument).joined(separator: ", ")));")
        case .callBuiltin(let f, let arguments):
            try builtinStatement(f, arguments)
        case .ifElse(let condition, let then, let otherwise):
            if let directive = preprocessorCondition(condition) {
                try writePreprocessorIf(directive, then: then, otherwise: otherwise)
                return
            }
            try hoist(from: condition)
            line("if (\(GLSLWriter.bare(try expr(condition)))) {")
            try writeElse(then: then, otherwise: otherwise)
        case .switchStatement(let selector, let cases):
            try hoist(from: selector)
            line("switch (\(GLSLWriter.bare(try expr(selector)))) {")
            try indented {
                for switchCase in cases {
                    for value in switchCase.selectors {
                        line("case \(try literal(value, type: selector.type, span: .none)):")
                    }
                    if switchCase.isDefault { line("default:") }
                    line("{")
                    try indented {
                        try statements(switchCase.body)
                        if !GLSLWriter.endsControlFlow(switchCase.body) { line("break;") }
                    }
                    line("}")
                }
            }
            line("}")
        case .loop(let body, let continuing, let breakIf):
            if continuing.isEmpty && breakIf == nil {
                line("while (true) {")
                try indented { try statements(body) }
                line("}")
                return
            }
            let first = fresh("loop_first")
            line("bool \(first) = true;")
            line("while (true) {")
            try indented {
                line("if (!\(first)) {")
                try indented {
                    try statements(continuing)
                    if let condition = breakIf {
                        try hoist(from: condition)
                        line("if (\(GLSLWriter.bare(try expr(condition)))) {")
                        try indented { line("break;") }
                        line("}")
                    }
                }
                line("}")
                line("\(first) = false;")
                try statements(body)
            }
            line("}")
        case .forLoop(let initializer, let condition, let update, let body):
            try rejectHoisting(in: condition, "a for-loop condition")
            let initText = try initializer.map { try inlineStatement($0) } ?? ""
            let conditionText = try condition.map { GLSLWriter.bare(try expr($0)) } ?? ""
            let updateText = try update.map { try inlineStatement($0) } ?? ""
            line("for (\(initText); \(conditionText); \(updateText)) {")
            let bound = loopVariableBound(initializer: initializer, condition: condition, body: body)
            if let (local, value) = bound { loopBounds[local] = value }
            try indented { try statements(body) }
            if let (local, _) = bound { loopBounds[local] = nil }
            line("}")
        case .whileLoop(let condition, let body):
            try rejectHoisting(in: condition, "a while condition")
            line("while (\(GLSLWriter.bare(try expr(condition)))) {")
            try indented { try statements(body) }
            line("}")
        case .breakStatement:
            line("break;")
        case .continueStatement:
            line("continue;")
        case .returnStatement(let value):
            if let value = value {
                try hoist(from: value)
                line("return \(GLSLWriter.bare(try expr(value)));")
            } else {
                line("return;")
            }
        case .block(let inner):
            line("{")
            try indented { try statements(inner) }
            line("}")
        }
    }

    private func writeElse(then: [IRStatement], otherwise: [IRStatement]) throws {
        try indented { try statements(then) }
        if otherwise.isEmpty {
            line("}")
        } else if otherwise.count == 1, case .ifElse(let condition, let innerThen, let innerOtherwise) = otherwise[0],
                  !needsHoisting(condition), preprocessorCondition(condition) == nil {
            line("} else if (\(GLSLWriter.bare(try expr(condition)))) {")
            try writeElse(then: innerThen, otherwise: innerOtherwise)
        } else {
            line("} else {")
            try indented { try statements(otherwise) }
            line("}")
        }
    }

    /// A for-loop header part: a declaration, an assignment or a call, without the semicolon.
    private func inlineStatement(_ s: IRStatement) throws -> String {
        let text = try capture { try statement(s) }.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.contains("\n") else {
            throw CompileError("this for-loop initializer or update needs more than one GLSL statement: move it into the loop body", .none)
        }
        return text.hasSuffix(";") ? String(text.dropLast()) : text
    }

    private func compoundAssignment(_ op: BinaryOperator, _ target: IRExpression, _ value: IRExpression) throws -> String {
        let targetText = try place(target)
        let kind = target.type.scalarKind ?? .f32
        if case .literal(.int(1)) = value.kind, op == .add || op == .subtract, target.type.isScalar {
            return "\(targetText)\(op == .add ? "++" : "--")"
        }
        switch op {
        case .add, .subtract, .multiply, .and, .or, .xor:
            return "\(targetText) \(op.rawValue)= \(GLSLWriter.bare(try expr(value)))"
        case .divide where kind.isFloat:
            return "\(targetText) /= \(GLSLWriter.bare(try expr(value)))"
        default:
            let combined = IRExpression(kind: .binary(op, target, value), type: target.type, span: value.span)
            return "\(targetText) = \(GLSLWriter.bare(try expr(combined)))"
        }
    }

    static func endsControlFlow(_ body: [IRStatement]) -> Bool {
        switch body.last {
        case .breakStatement?, .continueStatement?, .returnStatement?: return true
        default: return false
        }
    }

    func zeroValue(_ type: IRType, span: SourceSpan) throws -> String {
        try literal(ConstantValue.zero(of: type, in: module), type: type, span: span)
    }

    // MARK: - Hoisting

    func needsHoisting(_ e: IRExpression) -> Bool {
        switch e.kind {
        case .builtin(let f, let arguments):
            return f == .workgroupUniformLoad || f == .atomicCompareExchangeWeak || arguments.contains(where: needsHoisting)
        case .call(_, let arguments):
            return arguments.contains(where: needsHoisting)
        default:
            return Resolver.operands(of: e).contains { $0 != e && needsHoisting($0) }
        }
    }

    private func rejectHoisting(in e: IRExpression?, _ place: String) throws {
        if let e = e, needsHoisting(e) {
            throw CompileError("workgroupUniformLoad and atomicCompareExchangeWeak cannot appear in \(place): store the result in a 'let' first", e.span)
        }
    }

    /// Emits the statements that compute workgroupUniformLoad and atomicCompareExchangeWeak
    /// results inside `e` (they need more than one GLSL statement) and records the temporaries.
    func hoist(from e: IRExpression) throws {
        var children = Resolver.operands(of: e).filter { $0 != e }
        if case .builtin(_, let args) = e.kind { children = args }
        if case .call(_, let args) = e.kind { children = args }
        for child in children { try hoist(from: child) }
        guard case .builtin(let f, let arguments) = e.kind, hoisted[e] == nil else { return }
        switch f {
        case .workgroupUniformLoad:
            let temporary = fresh("uniform_value")
            let source = try place(pointerTarget(arguments[0]))
            line("memoryBarrierShared();")
            line("barrier();")
            line("\(try glslType(e.type, span: e.span)) \(temporary) = \(source);")
            line("memoryBarrierShared();")
            line("barrier();")
            hoisted[e] = temporary
        case .atomicCompareExchangeWeak:
            guard case .structure(let structIndex) = e.type else { return }
            let scalarName = try glslType(arguments[1].type, span: e.span)
            let compare = fresh("compare")
            let old = fresh("old_value")
            line("\(scalarName) \(compare) = \(try expr(arguments[1]));")
            line("\(scalarName) \(old) = atomicCompSwap(\(try place(pointerTarget(arguments[0]))), \(compare), \(try expr(arguments[2])));")
            let result = fresh("exchange_result")
            line("\(structNames[structIndex]) \(result) = \(structNames[structIndex])(\(old), \(old) == \(compare));")
            hoisted[e] = result
        default:
            return
        }
    }
}
