// Calls: value constructors (`vec3<f32>(...)`, `array(...)`, `S(...)`), conversions (`u32(x)`),
// `bitcast<T>(x)`, user functions and builtins.

extension Resolver {
    func call(_ e: AST.Expression, asStatement: Bool) throws -> CallResult {
        guard case .call(let callee, let argumentASTs) = e.kind,
              case .identifier(let name, let templateArguments) = callee.kind else {
            throw CompileError("only named functions and types can be called", e.span)
        }
        if lookupLocal(name) != nil {
            throw CompileError("'\(name)' is a local value, not a function", callee.span)
        }
        if name == "bitcast" {
            guard let targetAST = templateArguments?.first, templateArguments?.count == 1, argumentASTs.count == 1 else {
                throw CompileError("bitcast needs a target type and one argument: bitcast<u32>(x)", e.span)
            }
            return .value(try bitcast(try expression(argumentASTs[0]), to: try resolveType(targetAST), span: e.span))
        }
        if let type = try constructorType(name, templateArguments: templateArguments, span: callee.span) {
            let arguments = try argumentASTs.map { autoDeref(try expression($0)) }
            return .value(try construct(type, arguments, span: e.span))
        }
        if templateArguments != nil {
            throw CompileError("'\(name)' takes no template arguments", callee.span)
        }
        if let symbol = try resolveGlobal(name, usedAt: callee.span) {
            guard case .function(let index) = symbol else {
                throw CompileError("'\(name)' is not a function", callee.span)
            }
            return try userCall(index, argumentASTs: argumentASTs, span: e.span, asStatement: asStatement)
        }
        if let builtin = BuiltinFunction(rawValue: name) {
            let arguments = try argumentASTs.map { try expression($0) }
            let result = try self.builtin(builtin, arguments, span: e.span)
            if builtin.returnsNothing {
                guard asStatement else {
                    throw CompileError("\(name) returns nothing and cannot be used as a value", e.span)
                }
                return .statement(.callBuiltin(builtin, arguments: result.arguments))
            }
            return .value(result.expression!)
        }
        if ["frexp", "modf", "textureLoad", "textureStore", "textureDimensions", "dpdx", "dpdy", "fwidth", "subgroupBarrier"].contains(name) {
            throw CompileError("the builtin '\(name)' is not supported by this translator", callee.span)
        }
        throw CompileError("unknown function '\(NameSuggestion.shown(name))'\(suggestion(for: name))", callee.span)
    }

    /// The type a constructor call builds; element types may still be open (nil scalar) for
    /// inferred forms like `vec3(...)` and `array(...)`, which `construct` settles.
    private func constructorType(_ name: String, templateArguments: [AST.Expression]?, span: SourceSpan) throws -> ConstructorTarget? {
        if templateArguments == nil {
            if let size = Resolver.vectorSize(named: name) { return .inferredVector(size) }
            if let (c, r) = Resolver.matrixShape(named: name) { return .inferredMatrix(c, r) }
            if name == "array" { return .inferredArray }
        }
        if let type = try predeclaredType(name, arguments: templateArguments, span: span) {
            if case .pointer = type { throw CompileError("pointers cannot be constructed: use '&' on a variable", span) }
            if case .atomic = type { throw CompileError("atomics cannot be constructed", span) }
            return .type(type)
        }
        if Resolver.predeclaredTypeNames.contains(name) { return nil }
        switch try resolveGlobal(name, usedAt: span) {
        case .structure(let index): return .type(.structure(index))
        case .alias(let type): return .type(type)
        default: return nil
        }
    }

    enum ConstructorTarget {
        case type(IRType)
        case inferredVector(Int)
        case inferredMatrix(Int, Int)
        case inferredArray
    }

    private func construct(_ target: ConstructorTarget, _ argumentsIn: [IRExpression], span: SourceSpan) throws -> IRExpression {
        var arguments = argumentsIn
        switch target {
        case .inferredVector(let size):
            guard !arguments.isEmpty else { return try construct(.type(.vector(size, .abstractInt)), [], span: span) }
            arguments = try unify(arguments, describing: "build a vector from", span: span)
            guard let kind = arguments[0].type.scalarKind else {
                throw CompileError("vector components must be scalars or vectors", arguments[0].span)
            }
            return try construct(.type(.vector(size, kind)), arguments, span: span)
        case .inferredMatrix(let c, let r):
            guard !arguments.isEmpty else { throw CompileError("mat\(c)x\(r)() needs an element type: mat\(c)x\(r)<f32>()", span) }
            arguments = try unify(arguments, describing: "build a matrix from", span: span)
            var kind = arguments[0].type.scalarKind ?? .f32
            if kind == .abstractInt { kind = .abstractFloat }
            return try construct(.type(.matrix(columns: c, rows: r, kind)), arguments, span: span)
        case .inferredArray:
            guard !arguments.isEmpty else { throw CompileError("array() needs an element type and count: array<f32, 4>()", span) }
            arguments = try unify(arguments, describing: "build an array from", span: span)
            let elementType = arguments[0].type
            for argument in arguments where argument.type != elementType {
                throw CompileError("array elements must all have one type: found \(module.describe(elementType)) and \(module.describe(argument.type))", argument.span)
            }
            return try construct(.type(.array(elementType, .constant(arguments.count))), arguments, span: span)
        case .type(let type):
            return try construct(type, arguments, span: span)
        }
    }

    private func construct(_ type: IRType, _ arguments: [IRExpression], span: SourceSpan) throws -> IRExpression {
        let typeName = module.describe(type)
        if arguments.isEmpty {
            guard type.isConstructible(in: module) else {
                throw CompileError("\(typeName) has no zero value to construct", span)
            }
            return IRExpression(kind: .literal(ConstantValue.zero(of: type, in: module)), type: type, span: span)
        }
        switch type {
        case .scalar(let kind):
            guard arguments.count == 1, case .scalar(let from) = arguments[0].type else {
                throw CompileError("\(typeName)(...) takes one scalar", span)
            }
            return try scalarConversion(arguments[0], from: from, to: kind, type: type, span: span)
        case .vector(let size, let kind):
            if arguments.count == 1, case .scalar = arguments[0].type {
                let component = try convertComponent(arguments[0], to: kind, typeName: typeName)
                return try folded(IRExpression(kind: .construct([component]), type: type, span: span))
            }
            if arguments.count == 1, case .vector(let n, let from) = arguments[0].type, n == size {
                return try scalarConversion(arguments[0], from: from, to: kind, type: type, span: span)
            }
            var count = 0
            var components: [IRExpression] = []
            for argument in arguments {
                switch argument.type {
                case .scalar: count += 1
                case .vector(let n, _): count += n
                default: throw CompileError("\(typeName)(...) takes scalars and vectors, found \(module.describe(argument.type))", argument.span)
                }
                components.append(try convertComponent(argument, to: kind, typeName: typeName))
            }
            guard count == size else {
                throw CompileError("\(typeName)(...) needs \(size) components, found \(count)", span)
            }
            return try folded(IRExpression(kind: .construct(components), type: type, span: span))
        case .matrix(let columns, let rows, let kind):
            if arguments.count == 1, case .matrix(let c, let r, let from) = arguments[0].type, c == columns, r == rows {
                return try scalarConversion(arguments[0], from: from, to: kind, type: type, span: span)
            }
            let components = try arguments.map { try convertComponent($0, to: kind, typeName: typeName) }
            let allColumns = components.count == columns && components.allSatisfy { $0.type == .vector(rows, kind) }
            let allScalars = components.count == columns * rows && components.allSatisfy { $0.type == .scalar(kind) }
            guard allColumns || allScalars else {
                throw CompileError("\(typeName)(...) takes \(columns) column vectors of vec\(rows) or \(columns * rows) scalars", span)
            }
            return try folded(IRExpression(kind: .construct(components), type: type, span: span))
        case .array(let element, let count):
            guard case .constant(let n) = count else {
                throw CompileError("only fixed-size arrays can be constructed", span)
            }
            guard arguments.count == n else {
                throw CompileError("\(typeName)(...) needs \(n) elements, found \(arguments.count)", span)
            }
            let elements = try arguments.map { try convert($0, to: element, context: "an element of \(typeName)") }
            return try folded(IRExpression(kind: .construct(elements), type: type, span: span))
        case .structure(let index):
            let structure = module.structs[index]
            guard type.isConstructible(in: module) else {
                throw CompileError("struct '\(structure.name)' holds a runtime-sized array and cannot be constructed", span)
            }
            guard arguments.count == structure.members.count else {
                throw CompileError("\(structure.name)(...) needs \(structure.members.count) values (one per member), found \(arguments.count)", span)
            }
            let values = try zip(arguments, structure.members).map { argument, member in
                try convert(argument, to: member.type, context: "member '\(member.name)' of \(structure.name)")
            }
            return try folded(IRExpression(kind: .construct(values), type: type, span: span))
        default:
            throw CompileError("\(typeName) cannot be constructed", span)
        }
    }

    private func convertComponent(_ argument: IRExpression, to kind: ScalarKind, typeName: String) throws -> IRExpression {
        guard let from = argument.type.scalarKind else {
            throw CompileError("\(typeName)(...) takes scalars and vectors, found \(module.describe(argument.type))", argument.span)
        }
        if from == kind { return argument }
        guard from.convertsAutomatically(to: kind) else {
            throw CompileError("\(typeName)(...) needs \(kind.wgslName) components, found \(module.describe(argument.type)): convert it with \(module.describe(argument.type.withScalar(kind)))(...)", argument.span)
        }
        return try convert(argument, to: argument.type.withScalar(kind), context: "the component")
    }

    /// `T(x)` for scalars, and the same element-wise for vectors and matrices.
    private func scalarConversion(_ argument: IRExpression, from: ScalarKind, to: ScalarKind, type: IRType, span: SourceSpan) throws -> IRExpression {
        if from == to { return argument }
        if case .matrix = type, !(from.isFloat && to.isFloat) {
            throw CompileError("matrices convert only between f32 and f16", span)
        }
        if from.isAbstract {
            guard let value = try constantValue(of: argument) else { return argument }
            let converted = try convertConstant(value, from: from, to: to, span: argument.span, exact: !(from == .abstractFloat && to.isInteger))
            return IRExpression(kind: .literal(converted), type: type, span: span)
        }
        return try folded(IRExpression(kind: .convert(argument), type: type, span: span))
    }

    func bitcast(_ argumentIn: IRExpression, to target: IRType, span: SourceSpan) throws -> IRExpression {
        var argument = autoDeref(argumentIn)
        if argument.type.isAbstract {
            let concrete: ScalarKind = argument.type.leafScalar == .abstractFloat ? .f32 : (target.scalarKind == .u32 ? .u32 : .i32)
            argument = try convert(argument, to: argument.type.withScalar(concrete), context: "the bitcast argument")
        }
        func bits(_ t: IRType) -> Int? {
            switch t {
            case .scalar(let s) where s != .bool: return s.byteSize * 8
            case .vector(let n, let s) where s != .bool: return n * s.byteSize * 8
            default: return nil
            }
        }
        guard let from = bits(argument.type), let to = bits(target), from == to else {
            throw CompileError("cannot bitcast \(module.describe(argument.type)) to \(module.describe(target)): both must be numeric scalars or vectors of the same bit size", span)
        }
        let fromVectorSize = argument.type.vectorSize ?? 1
        let toVectorSize = target.vectorSize ?? 1
        if fromVectorSize != toVectorSize && !(argument.type.scalarKind == .f16 || target.scalarKind == .f16) {
            throw CompileError("cannot bitcast \(module.describe(argument.type)) to \(module.describe(target))", span)
        }
        if argument.type == target { return argument }
        return try folded(IRExpression(kind: .bitcast(argument), type: target, span: span))
    }

    private func userCall(_ index: Int, argumentASTs: [AST.Expression], span: SourceSpan, asStatement: Bool) throws -> CallResult {
        let callee = module.functions[index]
        if module.entryPoint?.function == index {
            throw CompileError("the entry point '\(callee.name)' cannot be called", span)
        }
        guard argumentASTs.count == callee.parameters.count else {
            throw CompileError("'\(callee.name)' takes \(callee.parameters.count) argument\(callee.parameters.count == 1 ? "" : "s"), found \(argumentASTs.count)", span)
        }
        var arguments: [IRExpression] = []
        for (argumentAST, parameter) in zip(argumentASTs, callee.parameters) {
            var argument = try expression(argumentAST)
            if case .pointer = parameter.type {
                guard case .pointer(let space, let pointee, _) = argument.type, case .pointer(let expectedSpace, let expectedPointee, _) = parameter.type,
                      space == expectedSpace, pointee == expectedPointee else {
                    throw CompileError("argument '\(parameter.name)' must be \(module.describe(parameter.type)) (pass '&variable'), found \(module.describe(argument.type))", argument.span)
                }
            } else {
                argument = try convert(autoDeref(argument), to: parameter.type, context: "argument '\(parameter.name)' of '\(callee.name)'")
            }
            arguments.append(argument)
        }
        function.callees.insert(index)
        guard let returnType = callee.returnType else {
            guard asStatement else {
                throw CompileError("'\(callee.name)' returns nothing and cannot be used as a value", span)
            }
            return .statement(.callFunction(index, arguments: arguments))
        }
        return .value(IRExpression(kind: .call(function: index, arguments: arguments), type: returnType, span: span))
    }
}
