// Name resolution and type checking: AST → typed IR. Module-scope declarations may appear in any
// order in WGSL, so each one is resolved on first use (recursively), which also leaves the IR
// lists in dependency order and turns a cycle (recursion, a struct containing itself) into an
// error at the point it closes.

final class Resolver {
    enum GlobalSymbol {
        case structure(Int)
        case alias(IRType)
        case constant(Int)
        case override(Int)
        case global(Int)
        case function(Int)
    }

    enum LocalSymbol {
        case local(Int)
        case parameter(Int)
        /// A function-scope `const`: its folded value, possibly still abstract.
        case constant(IRExpression)
    }

    /// State for the function whose body is being resolved. Kept in one value so resolving a
    /// callee on first use (from inside another body) can save and restore it.
    struct FunctionContext {
        var parameters: [IRParameter] = []
        var locals: [IRLocal] = []
        var scopes: [[String: LocalSymbol]] = [[:]]
        var callees: Set<Int> = []
        var returnType: IRType?
        var loopDepth = 0
        var switchDepth = 0
        var inContinuing = false
        /// Names the loop body declared, which its continuing block may not use here.
        var hiddenFromContinuing: Set<String> = []
        /// Scopes at or above this depth belong to the continuing block being resolved.
        var continuingScopeDepth = Int.max
        var isEntryPoint = false
    }

    let ast: AST.Module
    var module = IRModule()
    var declarations: [String: AST.Declaration] = [:]
    var symbols: [String: GlobalSymbol] = [:]
    var resolving: [String] = []
    /// Expressions, statements and declarations being resolved inside one another (bounded by
    /// `Nesting.maxResolverDepth`: the resolver recurses along them).
    var depth = 0
    var function = FunctionContext()
    /// Overrides supplied by the caller (`translate --override`), by name.
    let suppliedOverrides: [String: Double]

    init(ast: AST.Module, overrides: [String: Double]) {
        self.ast = ast
        self.suppliedOverrides = overrides
    }

    static func resolve(_ ast: AST.Module, overrides: [String: Double]) throws -> IRModule {
        let resolver = Resolver(ast: ast, overrides: overrides)
        try resolver.run()
        return resolver.module
    }

    private func run() throws {
        for (name, span) in ast.enables {
            guard name == "f16" || name == "subgroups" else {
                throw CompileError("unsupported extension '\(name)': the translator supports 'enable f16;' and 'enable subgroups;'", span)
            }
            module.enabledExtensions.insert(name)
        }
        for declaration in ast.declarations {
            guard let (name, span) = Resolver.nameAndSpan(of: declaration) else { continue }
            if declarations[name] != nil {
                throw CompileError("'\(name)' is declared twice at module scope: rename one of them", span)
            }
            // Builtin functions may be shadowed (as in WGSL); predeclared type names may not, to
            // keep `vec3<f32>(...)` unambiguous for readers.
            if Resolver.predeclaredTypeNames.contains(name) || Resolver.scalarKind(named: name) != nil {
                throw CompileError("'\(name)' shadows a predeclared WGSL type: pick another name", span)
            }
            declarations[name] = declaration
        }
        for declaration in ast.declarations {
            if let (name, _) = Resolver.nameAndSpan(of: declaration) {
                _ = try resolveGlobal(name, usedAt: nil)
            } else if case .constAssert(let condition, let span) = declaration {
                try constAssert(condition, span: span)
            }
        }
        for overrideIndex in module.overrides.indices {
            let item = module.overrides[overrideIndex]
            if item.defaultValue == nil && item.defaultExpression == nil {
                throw CompileError("override '\(item.name)' has no default: give it one ('override \(item.name): \(module.describe(item.type)) = ...;') or pass --override \(item.name)=VALUE", item.span)
            }
        }
        let entryPoints = ast.declarations.compactMap { declaration -> AST.FunctionDecl? in
            if case .function(let f) = declaration, f.attributes.contains(where: { $0.name == "compute" }) { return f }
            return nil
        }
        if entryPoints.isEmpty {
            throw CompileError("no compute entry point: mark one function with '@compute @workgroup_size(...)'", SourceSpan(start: 0, end: 0))
        }
        if entryPoints.count > 1 {
            throw CompileError("more than one entry point in this file: GLSL compute shaders have one 'main', so put each kernel in its own .wgsl file", entryPoints[1].nameSpan)
        }
    }

    /// Runs `body` one level deeper, refusing to go past `Nesting.maxResolverDepth`.
    func nested<T>(at span: SourceSpan, _ body: () throws -> T) throws -> T {
        if depth >= Nesting.maxResolverDepth {
            throw CompileError("code nested more than \(Nesting.maxResolverDepth) levels deep, counting through the functions it calls: split it into shallower pieces", span)
        }
        depth += 1
        defer { depth -= 1 }
        return try body()
    }

    static func nameAndSpan(of declaration: AST.Declaration) -> (String, SourceSpan)? {
        switch declaration {
        case .structure(let s): return (s.name, s.span)
        case .variable(let v): return (v.name, v.nameSpan)
        case .constant(let c): return (c.name, c.nameSpan)
        case .override(let o): return (o.name, o.nameSpan)
        case .function(let f): return (f.name, f.nameSpan)
        case .alias(let name, _, let span): return (name, span)
        case .constAssert: return nil
        }
    }

    static let predeclaredTypeNames: Set<String> = [
        "bool", "i32", "u32", "f32", "f16", "vec2", "vec3", "vec4", "mat2x2", "mat2x3", "mat2x4", "mat3x2",
        "mat3x3", "mat3x4", "mat4x2", "mat4x3", "mat4x4", "array", "atomic", "ptr", "bitcast",
        "vec2i", "vec3i", "vec4i", "vec2u", "vec3u", "vec4u", "vec2f", "vec3f", "vec4f", "vec2h", "vec3h", "vec4h",
    ]

    // MARK: - Module-scope declarations

    /// The symbol a module-scope name stands for, resolving its declaration first if needed.
    func resolveGlobal(_ name: String, usedAt span: SourceSpan?) throws -> GlobalSymbol? {
        if let symbol = symbols[name] { return symbol }
        guard let declaration = declarations[name] else { return nil }
        if resolving.contains(name) {
            let cycle = (resolving.drop { $0 != name } + [name]).joined(separator: " → ")
            throw CompileError("'\(name)' depends on itself (\(cycle)); WGSL forbids recursion and cyclic declarations", span ?? Resolver.nameAndSpan(of: declaration)!.1)
        }
        if resolving.count >= Nesting.maxDeclarationDepth {
            throw CompileError("declarations depend on one another more than \(Nesting.maxDeclarationDepth) deep (\(resolving.prefix(3).joined(separator: " → ")) → …): shorten the chain", span ?? Resolver.nameAndSpan(of: declaration)!.1)
        }
        resolving.append(name)
        defer { resolving.removeLast() }
        let savedFunction = function
        function = FunctionContext()
        defer { function = savedFunction }
        let symbol: GlobalSymbol
        switch declaration {
        case .structure(let decl): symbol = try structure(decl)
        case .alias(_, let typeExpression, _): symbol = .alias(try resolveType(typeExpression))
        case .constant(let decl): symbol = try moduleConstant(decl)
        case .override(let decl): symbol = try override(decl)
        case .variable(let decl): symbol = try globalVariable(decl)
        case .function(let decl): symbol = try functionDeclaration(decl)
        case .constAssert: return nil
        }
        symbols[name] = symbol
        return symbol
    }

    private func structure(_ decl: AST.StructDecl) throws -> GlobalSymbol {
        var members: [IRStructMember] = []
        var seen: Set<String> = []
        for (position, member) in decl.members.enumerated() {
            if !seen.insert(member.name).inserted {
                throw CompileError("struct '\(decl.name)' has two members named '\(member.name)'", member.span)
            }
            let type = try resolveType(member.type)
            if case .array(_, .runtime) = type, position != decl.members.count - 1 {
                throw CompileError("a runtime-sized array must be the last member of its struct", member.span)
            }
            if case .array(_, .overrideExpression) = type {
                throw CompileError("override-sized arrays can only be the type of a var<workgroup>", member.span)
            }
            var alignAttribute: Int?
            var sizeAttribute: Int?
            for attribute in member.attributes {
                switch attribute.name {
                case "align": alignAttribute = try integerAttribute(attribute)
                case "size": sizeAttribute = try integerAttribute(attribute)
                default:
                    throw CompileError("unsupported attribute '@\(attribute.name)' on a struct member (compute shaders take @align and @size)", attribute.span)
                }
            }
            members.append(IRStructMember(name: member.name, type: type, alignAttribute: alignAttribute, sizeAttribute: sizeAttribute, span: member.span))
        }
        if members.isEmpty {
            throw CompileError("struct '\(decl.name)' has no members", decl.span)
        }
        module.structs.append(IRStruct(name: decl.name, members: members, span: decl.span))
        return .structure(module.structs.count - 1)
    }

    func integerAttribute(_ attribute: AST.Attribute, index: Int = 0) throws -> Int {
        guard attribute.arguments.count > index else {
            throw CompileError("@\(attribute.name) needs an argument", attribute.span)
        }
        let expression = try self.expression(attribute.arguments[index])
        guard let value = try constantValue(of: expression)?.intValue else {
            throw CompileError("@\(attribute.name) needs a constant integer", expression.span)
        }
        return Int(value)
    }

    private func moduleConstant(_ decl: AST.ValueDecl) throws -> GlobalSymbol {
        guard let initializerAST = decl.initializer else {
            throw CompileError("const '\(decl.name)' needs an initializer", decl.span)
        }
        var initializer = try expression(initializerAST)
        if let typeAST = decl.type {
            initializer = try convert(initializer, to: try resolveType(typeAST), context: "the initializer of '\(decl.name)'")
        }
        guard let value = try constantValue(of: initializer) else {
            throw CompileError("the initializer of const '\(decl.name)' is not a constant expression: use 'let' inside a function, or 'override' for values set at load", initializer.span)
        }
        var type = initializer.type
        // Abstract scalars and vectors stay abstract (they adapt to each use); abstract composites
        // get their default concrete type so the GLSL can declare them once.
        var finalValue = value
        if type.isAbstract, !type.isScalar, !type.isVector, let leaf = type.leafScalar {
            finalValue = try convertConstant(value, from: leaf, to: leaf.concretized, span: initializer.span)
            type = type.concretized
        }
        module.constants.append(IRConstant(name: decl.name, type: type, value: finalValue, span: decl.span))
        return .constant(module.constants.count - 1)
    }

    private func override(_ decl: AST.ValueDecl) throws -> GlobalSymbol {
        var type: IRType?
        if let typeAST = decl.type { type = try resolveType(typeAST) }
        var defaultValue: ConstantValue?
        var defaultExpression: IRExpression?
        if let initializerAST = decl.initializer {
            var initializer = try expression(initializerAST)
            if let t = type {
                initializer = try convert(initializer, to: t, context: "the default of '\(decl.name)'")
            } else {
                initializer = try concretize(initializer)
                type = initializer.type
            }
            if let value = try constantValue(of: initializer) {
                defaultValue = value
            } else {
                defaultExpression = initializer
            }
        }
        guard let finalType = type, case .scalar(let kind) = finalType, !kind.isAbstract else {
            throw CompileError("override '\(decl.name)' must have a scalar type (bool, i32, u32, f32 or f16)", decl.span)
        }
        var id: Int?
        for attribute in decl.attributes {
            if attribute.name == "id" { id = try integerAttribute(attribute) } else {
                throw CompileError("unsupported attribute '@\(attribute.name)' on an override (only @id)", attribute.span)
            }
        }
        if let supplied = suppliedOverrides[decl.name] ?? id.flatMap({ suppliedOverrides[String($0)] }) {
            defaultValue = try convertConstant(.float(supplied), from: .abstractFloat, to: kind, span: decl.span, exact: kind != .bool)
            defaultExpression = nil
        }
        module.overrides.append(IROverride(name: decl.name, type: finalType, id: id, defaultValue: defaultValue,
                                           defaultExpression: defaultExpression, span: decl.span))
        return .override(module.overrides.count - 1)
    }

    private func globalVariable(_ decl: AST.VariableDecl) throws -> GlobalSymbol {
        let spaceName = decl.addressSpace ?? "private"
        guard let space = AddressSpace(rawValue: spaceName), space != .function else {
            if spaceName == "function" {
                throw CompileError("var<function> is only allowed inside functions", decl.span)
            }
            throw CompileError("unknown address space '\(spaceName)' (expected private, workgroup, uniform or storage)", decl.span)
        }
        var access: AccessMode = .readWrite
        if let accessName = decl.accessMode {
            guard let parsed = AccessMode(rawValue: accessName) else {
                throw CompileError("unknown access mode '\(accessName)' (expected read or read_write)", decl.span)
            }
            guard space == .storage else {
                throw CompileError("only var<storage> takes an access mode", decl.span)
            }
            if parsed == .write {
                throw CompileError("var<storage, write> is not valid WGSL: use read_write", decl.span)
            }
            access = parsed
        } else if space == .storage || space == .uniform {
            access = .read
        }
        guard let typeAST = decl.type else {
            throw CompileError("module-scope variable '\(decl.name)' needs an explicit type", decl.span)
        }
        let type = try resolveType(typeAST)
        var group: Int?
        var binding: Int?
        for attribute in decl.attributes {
            switch attribute.name {
            case "group": group = try integerAttribute(attribute)
            case "binding": binding = try integerAttribute(attribute)
            default:
                throw CompileError("unsupported attribute '@\(attribute.name)' on a variable (expected @group and @binding)", attribute.span)
            }
        }
        var resolvedBinding: IRBinding?
        switch space {
        case .storage, .uniform:
            guard let g = group, let b = binding else {
                throw CompileError("var<\(space.rawValue)> '\(decl.name)' needs @group(n) and @binding(n)", decl.span)
            }
            resolvedBinding = IRBinding(group: g, binding: b)
            if let other = module.globals.first(where: { $0.binding == resolvedBinding }) {
                throw CompileError("@group(\(g)) @binding(\(b)) is already used by '\(other.name)'", decl.span)
            }
        default:
            if group != nil || binding != nil {
                throw CompileError("only var<storage> and var<uniform> take @group/@binding", decl.span)
            }
        }
        if case .array(_, .overrideExpression) = type, space != .workgroup {
            throw CompileError("override-sized arrays are only allowed in var<workgroup>", decl.span)
        }
        if case .array(_, .runtime) = type, space != .storage {
            throw CompileError("runtime-sized arrays are only allowed in var<storage>", decl.span)
        }
        var initializer: IRExpression?
        if let initAST = decl.initializer {
            guard space == .private else {
                throw CompileError("only var<private> may have an initializer at module scope", initAST.span)
            }
            let value = try convert(try expression(initAST), to: type, context: "the initializer of '\(decl.name)'")
            guard try constantValue(of: value) != nil else {
                throw CompileError("a var<private> initializer must be a constant expression", value.span)
            }
            initializer = value
        }
        if space == .uniform || space == .storage {
            try checkHostShareable(type, space: space, span: decl.span)
        }
        module.globals.append(IRGlobal(name: decl.name, space: space, access: access, type: type,
                                       binding: resolvedBinding, initializer: initializer, span: decl.span))
        return .global(module.globals.count - 1)
    }

    private func constAssert(_ condition: AST.Expression, span: SourceSpan) throws {
        let value = try expression(condition)
        guard value.type == .bool, let result = try constantValue(of: value)?.boolValue else {
            throw CompileError("const_assert needs a constant bool expression", value.span)
        }
        if !result { throw CompileError("const_assert failed", span) }
    }

    // MARK: - Types

    func resolveType(_ typeAST: AST.Expression) throws -> IRType {
        guard case .identifier(let name, let arguments) = typeAST.kind else {
            throw CompileError("expected a type", typeAST.span)
        }
        if let type = try predeclaredType(name, arguments: arguments, span: typeAST.span) { return type }
        if arguments != nil {
            throw CompileError("'\(name)' takes no template arguments", typeAST.span)
        }
        switch try resolveGlobal(name, usedAt: typeAST.span) {
        case .structure(let index): return .structure(index)
        case .alias(let type): return type
        case nil: throw CompileError("unknown type '\(NameSuggestion.shown(name))'", typeAST.span)
        default: throw CompileError("'\(name)' is not a type", typeAST.span)
        }
    }

    /// Predeclared types and type generators; nil when `name` is not one of them.
    func predeclaredType(_ name: String, arguments: [AST.Expression]?, span: SourceSpan) throws -> IRType? {
        if let scalar = Resolver.scalarKind(named: name) {
            if arguments != nil { throw CompileError("'\(name)' takes no template arguments", span) }
            if scalar == .f16 { try requireExtension("f16", span: span) }
            return .scalar(scalar)
        }
        let shorthands: [String: IRType] = [
            "vec2i": .vector(2, .i32), "vec3i": .vector(3, .i32), "vec4i": .vector(4, .i32),
            "vec2u": .vector(2, .u32), "vec3u": .vector(3, .u32), "vec4u": .vector(4, .u32),
            "vec2f": .vector(2, .f32), "vec3f": .vector(3, .f32), "vec4f": .vector(4, .f32),
            "vec2h": .vector(2, .f16), "vec3h": .vector(3, .f16), "vec4h": .vector(4, .f16),
            "mat2x2f": .matrix(columns: 2, rows: 2, .f32), "mat3x3f": .matrix(columns: 3, rows: 3, .f32),
            "mat4x4f": .matrix(columns: 4, rows: 4, .f32), "mat2x4f": .matrix(columns: 2, rows: 4, .f32),
            "mat4x2f": .matrix(columns: 4, rows: 2, .f32), "mat3x4f": .matrix(columns: 3, rows: 4, .f32),
            "mat4x3f": .matrix(columns: 4, rows: 3, .f32), "mat2x3f": .matrix(columns: 2, rows: 3, .f32),
            "mat3x2f": .matrix(columns: 3, rows: 2, .f32),
        ]
        if let type = shorthands[name] {
            if arguments != nil { throw CompileError("'\(name)' takes no template arguments", span) }
            if type.scalarKind == .f16 { try requireExtension("f16", span: span) }
            return type
        }
        if let size = Resolver.vectorSize(named: name) {
            guard let args = arguments, args.count == 1 else {
                throw CompileError("'\(name)' needs one element type, e.g. \(name)<f32>", span)
            }
            guard case .scalar(let scalar) = try resolveType(args[0]) else {
                throw CompileError("vector elements must be scalars (bool, i32, u32, f32, f16)", args[0].span)
            }
            return .vector(size, scalar)
        }
        if let (columns, rows) = Resolver.matrixShape(named: name) {
            guard let args = arguments, args.count == 1 else {
                throw CompileError("'\(name)' needs one element type, e.g. \(name)<f32>", span)
            }
            guard case .scalar(let scalar) = try resolveType(args[0]), scalar == .f32 || scalar == .f16 else {
                throw CompileError("matrix elements must be f32 or f16", args[0].span)
            }
            return .matrix(columns: columns, rows: rows, scalar)
        }
        switch name {
        case "array":
            guard let args = arguments, args.count == 1 || args.count == 2 else {
                throw CompileError("array needs an element type and optionally a count: array<f32, 4> or array<f32>", span)
            }
            let element = try resolveType(args[0])
            switch element {
            case .pointer: throw CompileError("arrays cannot hold pointers", args[0].span)
            case .array(_, .runtime), .array(_, .overrideExpression):
                throw CompileError("array elements must have a fixed size", args[0].span)
            default: break
            }
            if args.count == 1 { return .array(element, .runtime) }
            let countExpression = try concretize(try expression(args[1]))
            guard countExpression.type == .i32 || countExpression.type == .u32 else {
                throw CompileError("an array count must be an i32 or u32 constant", args[1].span)
            }
            if let value = try constantValue(of: countExpression)?.intValue {
                guard value > 0 else { throw CompileError("an array count must be greater than zero (found \(value))", args[1].span) }
                return .array(element, .constant(Int(value)))
            }
            guard isOverrideExpression(countExpression) else {
                throw CompileError("an array count must be a constant or override expression", args[1].span)
            }
            return .array(element, .overrideExpression(countExpression))
        case "atomic":
            guard let args = arguments, args.count == 1, case .scalar(let s) = try resolveType(args[0]), s == .u32 || s == .i32 else {
                throw CompileError("atomic needs u32 or i32: atomic<u32>", span)
            }
            return .atomic(s)
        case "ptr":
            guard let args = arguments, args.count == 2 || args.count == 3,
                  case .identifier(let spaceName, nil) = args[0].kind, let space = AddressSpace(rawValue: spaceName) else {
                throw CompileError("ptr needs an address space and a type: ptr<function, f32>", span)
            }
            let pointee = try resolveType(args[1])
            var access: AccessMode = space == .storage || space == .uniform ? .read : .readWrite
            if args.count == 3 {
                guard case .identifier(let accessName, nil) = args[2].kind, let parsed = AccessMode(rawValue: accessName) else {
                    throw CompileError("unknown access mode (expected read or read_write)", args[2].span)
                }
                access = parsed
            }
            return .pointer(space, pointee, access)
        default:
            return nil
        }
    }

    static func scalarKind(named name: String) -> ScalarKind? {
        switch name {
        case "bool": return .bool
        case "i32": return .i32
        case "u32": return .u32
        case "f32": return .f32
        case "f16": return .f16
        default: return nil
        }
    }

    static func vectorSize(named name: String) -> Int? {
        switch name {
        case "vec2": return 2
        case "vec3": return 3
        case "vec4": return 4
        default: return nil
        }
    }

    static func matrixShape(named name: String) -> (Int, Int)? {
        guard name.count == 6, name.hasPrefix("mat"), let c = Int(String(name[name.index(name.startIndex, offsetBy: 3)])),
              name[name.index(name.startIndex, offsetBy: 4)] == "x", let r = Int(String(name.last!)),
              (2...4).contains(c), (2...4).contains(r) else { return nil }
        return (c, r)
    }

    func requireExtension(_ name: String, span: SourceSpan) throws {
        if !module.enabledExtensions.contains(name) {
            throw CompileError("using \(name == "f16" ? "f16" : "subgroup operations") requires 'enable \(name);' at the top of the file", span)
        }
    }

    /// Whether an expression is built only from constants, literals and overrides.
    func isOverrideExpression(_ e: IRExpression) -> Bool {
        switch e.kind {
        case .literal, .constant, .override: return true
        case .unary(_, let a), .convert(let a), .bitcast(let a): return isOverrideExpression(a)
        case .binary(_, let a, let b): return isOverrideExpression(a) && isOverrideExpression(b)
        case .builtin(_, let args), .construct(let args): return args.allSatisfy(isOverrideExpression)
        default: return false
        }
    }

    func checkHostShareable(_ type: IRType, space: AddressSpace, span: SourceSpan) throws {
        switch type {
        case .scalar(.bool), .vector(_, .bool):
            throw CompileError("bool cannot be stored in var<\(space.rawValue)>: use u32 (0 or 1)", span)
        case .pointer:
            throw CompileError("pointers cannot be stored in var<\(space.rawValue)>", span)
        case .atomic where space == .uniform:
            throw CompileError("atomics are not allowed in var<uniform>", span)
        case .array(let element, _): try checkHostShareable(element, space: space, span: span)
        case .structure(let index):
            for member in module.structs[index].members { try checkHostShareable(member.type, space: space, span: member.span) }
        default: break
        }
    }

    // MARK: - Functions

    private func functionDeclaration(_ decl: AST.FunctionDecl) throws -> GlobalSymbol {
        let isEntryPoint = decl.attributes.contains { $0.name == "compute" }
        function.isEntryPoint = isEntryPoint
        var parameters: [IRParameter] = []
        for parameter in decl.parameters {
            let type = try resolveType(parameter.type)
            var builtin: ComputeBuiltin?
            for attribute in parameter.attributes {
                guard attribute.name == "builtin" else {
                    throw CompileError("unsupported parameter attribute '@\(attribute.name)' (compute entry points take @builtin)", attribute.span)
                }
                guard isEntryPoint else {
                    throw CompileError("@builtin parameters are only allowed on the entry point", attribute.span)
                }
                guard attribute.arguments.count == 1, case .identifier(let builtinName, nil) = attribute.arguments[0].kind,
                      let value = ComputeBuiltin(rawValue: builtinName) else {
                    let names = ComputeBuiltin.allCases.map(\.rawValue).joined(separator: ", ")
                    throw CompileError("unknown compute builtin: expected one of \(names)", attribute.span)
                }
                if value == .subgroupSize || value == .subgroupInvocationId { try requireExtension("subgroups", span: attribute.span) }
                guard value.type == type else {
                    throw CompileError("@builtin(\(value.rawValue)) has type \(module.describe(value.type)), not \(module.describe(type))", parameter.span)
                }
                builtin = value
            }
            if isEntryPoint && builtin == nil {
                throw CompileError("every entry-point parameter needs a @builtin(...) attribute (structs of builtins are not supported)", parameter.span)
            }
            if case .pointer(let space, _, _) = type, space != .function && space != .private {
                throw CompileError("pointer parameters must point into function or private memory (GLSL passes them as inout)", parameter.span)
            }
            if parameters.contains(where: { $0.name == parameter.name }) {
                throw CompileError("two parameters are named '\(parameter.name)'", parameter.span)
            }
            parameters.append(IRParameter(name: parameter.name, type: type, builtin: builtin, span: parameter.span))
        }
        function.parameters = parameters
        for (index, parameter) in parameters.enumerated() {
            function.scopes[0][parameter.name] = .parameter(index)
        }
        if let returnAST = decl.returnType {
            if isEntryPoint { throw CompileError("a compute entry point returns nothing", returnAST.span) }
            if !decl.returnAttributes.isEmpty {
                throw CompileError("return-value attributes are for vertex/fragment shaders", decl.returnAttributes[0].span)
            }
            function.returnType = try resolveType(returnAST)
        }
        var workgroupSize: [WorkgroupDimension]?
        for attribute in decl.attributes {
            switch attribute.name {
            case "compute": break
            case "workgroup_size":
                guard isEntryPoint else {
                    throw CompileError("@workgroup_size belongs on a @compute function", attribute.span)
                }
                workgroupSize = try self.workgroupSize(attribute)
            case "vertex", "fragment":
                throw CompileError("only @compute entry points are supported", attribute.span)
            case "must_use": break
            default:
                throw CompileError("unsupported function attribute '@\(attribute.name)'", attribute.span)
            }
        }
        if isEntryPoint && workgroupSize == nil {
            throw CompileError("the compute entry point needs @workgroup_size(x[, y[, z]])", decl.nameSpan)
        }
        let body = try block(decl.body.statements, newScope: false)
        if let returnType = function.returnType, !Resolver.alwaysReturns(body) {
            throw CompileError("function '\(decl.name)' must return a value of type \(module.describe(returnType)) on every path", decl.body.span)
        }
        let callees = function.callees
        module.functions.append(IRFunction(name: decl.name, parameters: parameters, returnType: function.returnType,
                                           locals: function.locals, body: body, span: decl.span, callees: callees))
        let index = module.functions.count - 1
        if let size = workgroupSize {
            module.entryPoint = IREntryPoint(function: index, workgroupSize: size, span: decl.span)
        }
        return .function(index)
    }

    private func workgroupSize(_ attribute: AST.Attribute) throws -> [WorkgroupDimension] {
        guard (1...3).contains(attribute.arguments.count) else {
            throw CompileError("@workgroup_size takes one to three sizes", attribute.span)
        }
        var dimensions: [WorkgroupDimension] = []
        for argument in attribute.arguments {
            let value = try concretize(try expression(argument))
            guard value.type == .i32 || value.type == .u32 else {
                throw CompileError("workgroup sizes must be i32 or u32", value.span)
            }
            if let constant = try constantValue(of: value)?.intValue {
                guard constant >= 1 else { throw CompileError("a workgroup size must be at least 1", value.span) }
                dimensions.append(.literal(Int(constant)))
            } else if case .override(let index) = value.kind {
                dimensions.append(.override(index))
            } else {
                throw CompileError("a workgroup size must be a constant or a single override name (GLSL's layout(local_size_x = ...) takes only a literal or a macro); declare an override for the product", value.span)
            }
        }
        while dimensions.count < 3 { dimensions.append(.literal(1)) }
        return dimensions
    }

    /// Whether control cannot fall off the end of `statements`.
    static func alwaysReturns(_ statements: [IRStatement]) -> Bool {
        guard let last = statements.last else { return false }
        switch last {
        case .returnStatement: return true
        case .block(let inner): return alwaysReturns(inner)
        case .ifElse(_, let then, let otherwise): return alwaysReturns(then) && alwaysReturns(otherwise)
        case .switchStatement(_, let cases): return cases.allSatisfy { alwaysReturns($0.body) }
        case .loop(let body, _, nil): return !containsBreak(body)
        default: return false
        }
    }

    private static func containsBreak(_ statements: [IRStatement]) -> Bool {
        statements.contains { statement in
            switch statement {
            case .breakStatement: return true
            case .block(let inner): return containsBreak(inner)
            case .ifElse(_, let a, let b): return containsBreak(a) || containsBreak(b)
            case .switchStatement: return false
            default: return false
            }
        }
    }
}
