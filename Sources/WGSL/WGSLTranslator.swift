// The front door: source text in, GLSL ES 3.10 and reflection out, or one diagnostic naming the
// file, line and column. link imports → parse → resolve (typed IR) → validate → write.

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
    ///   - source: the WGSL text, possibly opening with WESL import statements.
    ///   - fileName: used in diagnostics (`fileName:line:col: error: ...`); its stem is the
    ///     kernel's module name (what `super::` climbs from).
    ///   - overrides: values for `override` declarations, by name (or by `@id` number as a string);
    ///     they replace the defaults written into the GLSL, which stays specialisable by macros.
    ///   - package: where imports find their modules (for the kernels, Shaders/wgsl); needed only
    ///     when the source imports.
    /// - Throws: `WGSLDiagnostic` for any error in the source or a module it imports.
    public static func translate(source: String, fileName: String, overrides: [String: Double] = [:],
                                 package: WGSLPackage? = nil) throws -> TranslationOutput {
        let linked = try ImportLinker.link(source: Array(source.utf8), fileName: fileName, package: package)
        do {
            let ast = try Parser.parse(linked.text)
            let module = try Resolver.resolve(ast, overrides: overrides)
            let validated = try Validator.validate(module)
            let written = try GLSLWriter.write(validated)
            let reflection = makeReflection(validated, extensions: written.extensions)
            return TranslationOutput(glsl: written.glsl, reflection: reflection)
        } catch let error as CompileError {
            throw linked.map.diagnostic(for: error)
        }
    }

    /// The WGSL a kernel expands to once its imports are resolved: the kernel without its import
    /// statements, followed by the imported declarations (and those they use), each once. It is
    /// plain WGSL, which `translate` parses and any WebGPU implementation accepts.
    /// - Throws: `WGSLDiagnostic` for a missing module or item, a cycle or a name clash.
    public static func flatten(source: String, fileName: String, package: WGSLPackage?) throws -> String {
        let linked = try ImportLinker.link(source: Array(source.utf8), fileName: fileName, package: package)
        return String(decoding: linked.text, as: UTF8.self)
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
