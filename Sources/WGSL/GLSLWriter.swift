// Prints a validated module as GLSL ES 3.10. The output is ordered: version and extensions,
// precision, override macros, structs, helper functions (only those used), constants, buffers
// and other globals, the workgroup size, user functions (callees first) and `main`. Names come
// from one Namer. Bodies are written before the prologue so the writer knows which helpers and
// extensions they needed.

final class GLSLWriter {
    let module: IRModule
    let entryPoint: IREntryPoint

    var namer: Namer
    var structNames: [String] = []
    var memberNames: [[String]] = []
    var constantNames: [String] = []
    var overrideNames: [String] = []
    var globalNames: [String] = []
    var functionNames: [String] = []

    /// Per-function state.
    var localNames: [String] = []
    var parameterNames: [String] = []
    var currentFunction: IRFunction?
    var functionNamer = Namer()
    /// Values computed by statements the writer inserted before the current statement
    /// (workgroupUniformLoad, atomicCompareExchangeWeak), by the expression they replace.
    var hoisted: [IRExpression: String] = [:]
    /// Pointer `let`s of the current function and the pointer each was bound to.
    var pointerLets: [Int: IRExpression] = [:]
    /// Loop variables whose `for` condition bounds them inside the body being written.
    var loopBounds: [Int: IndexBound] = [:]
    /// Initializers of the current function's non-pointer `let`s (immutable, so they stay true).
    var immutableLetValues: [Int: IRExpression] = [:]

    var polyfills: [Polyfill] = []
    var extensions: Set<String> = []
    var indentLevel = 0
    var output = ""

    init(_ validated: ValidatedModule) {
        module = validated.module
        entryPoint = validated.entryPoint
        namer = Namer(reserved: Polyfill.reservedNames.union(GLSLWriter.chainedLaunchNames))
    }

    static func write(_ validated: ValidatedModule) throws -> (glsl: String, extensions: [String], names: GLSLNames) {
        let writer = GLSLWriter(validated)
        let glsl = try writer.run()
        return (glsl, writer.extensions.sorted(), GLSLNames(globals: writer.globalNames))
    }

    // MARK: - Lines

    func line(_ text: String) {
        output += String(repeating: "    ", count: indentLevel) + text + "\n"
    }

    func indented(_ body: () throws -> Void) rethrows {
        indentLevel += 1
        defer { indentLevel -= 1 }
        try body()
    }

    // MARK: - Module

    /// Runs `body` with an empty output and returns what it wrote.
    func capture(_ body: () throws -> Void) rethrows -> String {
        let saved = output
        output = ""
        defer { output = saved }
        try body()
        return output
    }

    private func run() throws -> String {
        assignModuleNames()
        if module.globals.contains(where: { ($0.space == .storage || $0.space == .workgroup) && module.containsType($0.type, where: GLSLWriter.isF16) }) {
            extensions.insert("GL_EXT_shader_16bit_storage")
        }
        let reachable = reachableFunctions()
        var functionTexts: [String] = []
        for index in module.functions.indices where reachable.contains(index) {
            functionTexts.append(try capture { try writeFunction(index) })
        }
        let globalsText = try globalsSection()
        let overridesText = try capture { if !module.overrides.isEmpty { try writeOverrides(); line("") } }
        let workgroupText = try capture { try writeWorkgroupSize(); line("") }
        let structText = try capture {
            for index in module.structs.indices where !module.structHasRuntimeArray(index) {
                try writeStruct(index)
                line("")
            }
        }
        output = ""
        line("#version 310 es")
        for name in extensions.sorted() { writeExtension(name) }
        line("precision highp float;")
        line("precision highp int;")
        line("")
        writeChainedLaunchPrologue()
        output += overridesText + workgroupText + structText
        var explained: Set<Polyfill.Kind> = []
        for polyfill in polyfills {
            // The comment explaining a helper goes above its first overload only.
            var definition = polyfill.definition
            if !explained.insert(polyfill.kind).inserted, definition.hasPrefix("//"), let end = definition.firstIndex(of: "\n") {
                definition = String(definition[definition.index(after: end)...])
            }
            output += definition
            output += "\n"
        }
        output += globalsText
        for text in functionTexts {
            output += text
            output += "\n"
        }
        while output.hasSuffix("\n\n") { output.removeLast() }
        writeChainedLaunchMain()
        return output
    }

    private func assignModuleNames() {
        structNames = module.structs.map { namer.name($0.name) }
        memberNames = module.structs.map { structure in
            var memberNamer = Namer()
            return structure.members.map { memberNamer.name($0.name) }
        }
        constantNames = module.constants.map { namer.name($0.name) }
        overrideNames = module.overrides.map { namer.name($0.name) }
        globalNames = module.globals.map { namer.name($0.name) }
        functionNames = module.functions.enumerated().map { index, function in
            index == entryPoint.function ? "main" : namer.name(function.name)
        }
    }

    /// The entry point and everything it calls, directly or not.
    private func reachableFunctions() -> Set<Int> {
        var seen: Set<Int> = []
        var stack = [entryPoint.function]
        while let next = stack.popLast() {
            if seen.insert(next).inserted { stack.append(contentsOf: module.functions[next].callees) }
        }
        return seen
    }

    static func isF16(_ type: IRType) -> Bool {
        type.scalarKind == .f16
    }

    private func writeOverrides() throws {
        for (index, item) in module.overrides.enumerated() {
            let macro = GLSLWriter.overrideMacro(item.name)
            let typeName = try glslType(item.type, span: item.span)
            if let value = item.defaultValue {
                line("#ifndef \(macro)")
                line("#define \(macro) \(GLSLWriter.macroLiteral(value, type: item.type))")
                line("#endif")
                line("const \(typeName) \(overrideNames[index]) = \(typeName)(\(macro));")
            } else if let expression = item.defaultExpression {
                // A default computed from other overrides: the macro expands to that expression.
                line("#ifndef \(macro)")
                line("#define \(macro) \(try expr(expression))")
                line("#endif")
                line("const \(typeName) \(overrideNames[index]) = \(typeName)(\(macro));")
            }
        }
    }

    static func overrideMacro(_ name: String) -> String { "OVERRIDE_\(name)" }

    static let float16Arithmetic = "GL_EXT_shader_explicit_arithmetic_types_float16"

    /// One `#extension` line, except for f16 arithmetic: NVIDIA's GLES compiler refuses
    /// GL_EXT_shader_explicit_arithmetic_types_float16 but gives the same `float16_t`/`f16vec2`
    /// types, arithmetic and `packFloat2x16`/`unpackFloat2x16` through GL_NV_gpu_shader5, so the
    /// driver's own extension macro picks one (glslang, which lacks the NV one, takes the EXT one).
    private func writeExtension(_ name: String) {
        guard name == GLSLWriter.float16Arithmetic else {
            line("#extension \(name) : \(GLSLWriter.extensionBehaviour(name))")
            return
        }
        line("#if defined(GL_NV_gpu_shader5)")
        line("#extension GL_NV_gpu_shader5 : require")
        line("#else")
        line("#extension \(name) : require")
        line("#endif")
    }

    /// Subgroup extensions are `enable`d, not `require`d: a kernel keeps its subgroup code behind
    /// an override-decided `#if` (GLSLWriter+Preprocessor.swift), and GLSL ES only warns about
    /// enabling an extension the driver lacks, so the fallback specialisation compiles there.
    /// The 16-bit type extensions stay `require`d: f16 types cannot be compiled away that way.
    static func extensionBehaviour(_ name: String) -> String {
        name.hasPrefix("GL_KHR_shader_subgroup") ? "enable" : "require"
    }

    /// A default as the host would write it: plain decimal integers (with `u` above i32's range),
    /// floats with a decimal point or exponent, `true`/`false`.
    static func macroLiteral(_ value: ConstantValue, type: IRType) -> String {
        switch value {
        case .bool(let b): return b ? "true" : "false"
        case .int(let v): return v > Int64(Int32.max) ? "\(v)u" : "\(v)"
        case .float(let d): return floatText(d)
        case .composite: return "0"
        }
    }

    private func writeWorkgroupSize() throws {
        let parts = zip(["x", "y", "z"], entryPoint.workgroupSize).map { axis, dimension -> String in
            switch dimension {
            case .literal(let n): return "local_size_\(axis) = \(n)"
            case .override(let index): return "local_size_\(axis) = \(GLSLWriter.overrideMacro(module.overrides[index].name))"
            }
        }
        line("layout(\(parts.joined(separator: ", "))) in;")
    }

    private func writeStruct(_ index: Int) throws {
        let structure = module.structs[index]
        line("struct \(structNames[index]) {")
        try indented {
            for (i, member) in structure.members.enumerated() {
                line("\(try declaration(member.type, name: memberNames[index][i], span: member.span));")
            }
        }
        line("};")
    }

    private func globalsSection() throws -> String {
        try capture { try writeGlobals() }
    }

    private func writeGlobals() throws {
        for (index, constant) in module.constants.enumerated() {
            line("const \(try declaration(constant.type, name: constantNames[index], span: constant.span)) = \(try literal(constant.value, type: constant.type, span: constant.span));")
        }
        if !module.constants.isEmpty { line("") }
        for (index, global) in module.globals.enumerated() {
            try writeGlobal(index, global)
        }
        if !module.globals.isEmpty { line("") }
    }

    private func writeGlobal(_ index: Int, _ global: IRGlobal) throws {
        let name = globalNames[index]
        switch global.space {
        case .storage, .uniform:
            let binding = GLSLBindingRule.glslBinding(global.binding!)
            let qualifiers: String
            if global.space == .uniform {
                qualifiers = "layout(std140, binding = \(binding)) uniform"
            } else {
                qualifiers = "layout(std430, binding = \(binding)) \(GLSLWriter.chainedCoherentMacro) restrict \(global.access == .read ? "readonly " : "")buffer"
            }
            let blockName = namer.name("\(global.name)_block")
            line("\(qualifiers) \(blockName) {")
            if case .structure(let structIndex) = global.type {
                try indented {
                    for (i, member) in module.structs[structIndex].members.enumerated() {
                        line("\(try declaration(member.type, name: memberNames[structIndex][i], span: member.span));")
                    }
                }
                line("} \(name);")
            } else {
                try indented { line("\(try declaration(global.type, name: name, span: global.span));") }
                line("};")
            }
        case .workgroup:
            line("shared \(try declaration(global.type, name: name, span: global.span));")
        case .private:
            let value = try global.initializer.map { try expr($0) } ?? literal(ConstantValue.zero(of: global.type, in: module), type: global.type, span: global.span)
            line("\(try declaration(global.type, name: name, span: global.span)) = \(value);")
        case .function:
            break
        }
    }

    // MARK: - Types

    /// A GLSL type name; arrays as `float[4][2]`.
    func glslType(_ type: IRType, span: SourceSpan) throws -> String {
        switch type {
        case .scalar(let s), .atomic(let s):
            noteScalar(s)
            return GLSLWriter.scalarName(s)
        case .vector(let n, let s):
            noteScalar(s)
            return GLSLWriter.vectorPrefix(s) + "vec\(n)"
        case .matrix(let c, let r, let s):
            noteScalar(s)
            return (s == .f16 ? "f16" : "") + (c == r ? "mat\(c)" : "mat\(c)x\(r)")
        case .array(let element, let count):
            let elementName = try glslType(element, span: span)
            let dimension = try arrayDimension(count, span: span)
            if let bracket = elementName.firstIndex(of: "[") {
                return String(elementName[..<bracket]) + "[\(dimension)]" + elementName[bracket...]
            }
            return elementName + "[\(dimension)]"
        case .structure(let index): return structNames[index]
        case .pointer(_, let pointee, _): return try glslType(pointee, span: span)
        }
    }

    func arrayDimension(_ count: ArrayCount, span: SourceSpan) throws -> String {
        switch count {
        case .constant(let n): return "\(n)"
        case .overrideExpression(let e): return try expr(e)
        case .runtime: return ""
        }
    }

    /// `type name` with array dimensions after the name for runtime arrays (`float x[]`).
    func declaration(_ type: IRType, name: String, span: SourceSpan) throws -> String {
        if case .array(let element, .runtime) = type {
            return "\(try glslType(element, span: span)) \(name)[]"
        }
        return "\(try glslType(type, span: span)) \(name)"
    }

    /// Records the extension a scalar type needs when it appears in the output.
    func noteScalar(_ s: ScalarKind) {
        if s == .f16 { extensions.insert(GLSLWriter.float16Arithmetic) }
    }

    static func scalarName(_ s: ScalarKind) -> String {
        switch s {
        case .bool: return "bool"
        case .i32, .abstractInt: return "int"
        case .u32: return "uint"
        case .f32, .abstractFloat: return "float"
        case .f16: return "float16_t"
        }
    }

    static func vectorPrefix(_ s: ScalarKind) -> String {
        switch s {
        case .bool: return "b"
        case .i32, .abstractInt: return "i"
        case .u32: return "u"
        case .f32, .abstractFloat: return ""
        case .f16: return "f16"
        }
    }

    // MARK: - Literals

    static func floatText(_ d: Double) -> String {
        var text = "\(Float(d))"
        if !text.contains(".") && !text.contains("e") { text += ".0" }
        return text
    }

    func literal(_ value: ConstantValue, type: IRType, span: SourceSpan) throws -> String {
        switch (type, value) {
        case (.scalar(let s), _), (.atomic(let s), _):
            switch value {
            case .bool(let b): return b ? "true" : "false"
            case .int(let v):
                if s == .u32 { return "\(v)u" }
                if v == Int64(Int32.min) { return "(-2147483647 - 1)" }
                return "\(v)"
            case .float(let d):
                noteScalar(s)
                return s == .f16 ? GLSLWriter.floatText(d) + "hf" : GLSLWriter.floatText(d)
            case .composite:
                throw CompileError("internal: composite literal for a scalar", span)
            }
        case (.vector(_, let s), .composite(let parts)):
            let typeName = try glslType(type, span: span)
            if let first = parts.first, parts.allSatisfy({ $0 == first }) {
                return "\(typeName)(\(try literal(first, type: .scalar(s), span: span)))"
            }
            return "\(typeName)(\(try parts.map { try literal($0, type: .scalar(s), span: span) }.joined(separator: ", ")))"
        case (.matrix(_, let r, let s), .composite(let columns)):
            return "\(try glslType(type, span: span))(\(try columns.map { try literal($0, type: .vector(r, s), span: span) }.joined(separator: ", ")))"
        case (.array(let element, _), .composite(let parts)):
            return "\(try glslType(type, span: span))(\(try parts.map { try literal($0, type: element, span: span) }.joined(separator: ", ")))"
        case (.structure(let index), .composite(let parts)):
            let members = module.structs[index].members
            return "\(structNames[index])(\(try zip(parts, members).map { try literal($0, type: $1.type, span: span) }.joined(separator: ", ")))"
        default:
            throw CompileError("internal: cannot write a literal of type \(module.describe(type))", span)
        }
    }
}

/// GLSL names the front door reports back (for reflection and tools).
struct GLSLNames {
    let globals: [String]
}

extension IRModule {
    func structHasRuntimeArray(_ index: Int) -> Bool {
        if case .array(_, .runtime) = structs[index].members.last?.type { return true }
        return false
    }
}
