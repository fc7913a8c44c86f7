// The front door: source text in, GLSL ES 3.10 and reflection out, or one diagnostic naming the
// file, line and column. parse → resolve (typed IR) → validate → write.

/// The result of translating one WGSL file.
public struct TranslationOutput: Sendable {
    /// A complete GLSL ES 3.10 compute shader.
    public var glsl: String
    public var reflection: ShaderReflection
}

public struct WGSLTranslator {
    /// Translates a WGSL file holding one `@compute` entry point.
    ///
    /// - Parameters:
    ///   - source: the WGSL text.
    ///   - fileName: used in diagnostics (`fileName:line:col: error: ...`).
    ///   - overrides: values for `override` declarations, by name (or by `@id` number as a string);
    ///     they replace the defaults written into the GLSL, which stays specialisable by macros.
    /// - Throws: `WGSLDiagnostic` for any error in the source.
    public static func translate(source: String, fileName: String, overrides: [String: Double] = [:]) throws -> TranslationOutput {
        let bytes = Array(source.utf8)
        do {
            let ast = try Parser.parse(bytes)
            let module = try Resolver.resolve(ast, overrides: overrides)
            let validated = try Validator.validate(module)
            let written = try GLSLWriter.write(validated)
            let reflection = makeReflection(validated, extensions: written.extensions)
            return TranslationOutput(glsl: written.glsl, reflection: reflection)
        } catch let error as CompileError {
            throw WGSLDiagnostic(message: error.message, span: error.span, source: bytes, fileName: fileName)
        }
    }

    private static func makeReflection(_ validated: ValidatedModule, extensions: [String]) -> ShaderReflection {
        let module = validated.module
        let entry = validated.entryPoint
        let workgroupSize = entry.workgroupSize.map { dimension -> WorkgroupSizeReflection in
            switch dimension {
            case .literal(let n): return WorkgroupSizeReflection(value: n, override: nil, defaultValue: nil)
            case .override(let index):
                let item = module.overrides[index]
                return WorkgroupSizeReflection(value: nil, override: item.name, defaultValue: item.defaultValue?.intValue.map { Int($0) })
            }
        }
        let bindings = module.globals.filter { $0.binding != nil }.map(module.bindingReflection)
            .sorted { ($0.group, $0.binding) < ($1.group, $1.binding) }
        let overrides = module.overrides.map { item -> OverrideReflection in
            OverrideReflection(name: item.name, id: item.id, type: module.describe(item.type),
                               defaultValue: item.defaultValue.flatMap { value -> Double? in
                                   switch value {
                                   case .bool(let b): return b ? 1 : 0
                                   case .float(let d) where item.type == .f32:
                                       // The f32 value, spelled as short as it round-trips.
                                       return Double("\(Float(d))") ?? d
                                   default: return value.doubleValue
                                   }
                               },
                               macro: GLSLWriter.overrideMacro(item.name))
        }
        return ShaderReflection(entryPoint: module.functions[entry.function].name, workgroupSize: workgroupSize,
                                bindings: bindings, overrides: overrides, extensions: extensions)
    }
}
