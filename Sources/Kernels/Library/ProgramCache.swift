import GLES

/// What makes two compiled kernels different: the shader and its specialisation.
public struct ProgramKey: Hashable, Sendable, CustomStringConvertible {
    public var shader: String
    public var overrides: [String: OverrideValue]

    public init(_ shader: String, _ overrides: [String: OverrideValue] = [:]) {
        self.shader = shader
        self.overrides = overrides
    }

    /// e.g. `f32_linear[THREADS_PER_ROW=16,WEIGHT_FORMAT=3]`, the name GL errors carry.
    public var description: String {
        let parts = overrides.keys.sorted().map { "\($0)=\(overrides[$0]!)" }
        return parts.isEmpty ? shader : "\(shader)[\(parts.joined(separator: ","))]"
    }
}

/// Compiles each specialisation once, on first use.
final class ProgramCache {
    let context: GLContext
    let library: ShaderLibrary
    private var programs: [ProgramKey: ComputeProgram] = [:]

    init(context: GLContext, library: ShaderLibrary) {
        self.context = context
        self.library = library
    }

    var compiledCount: Int { programs.count }

    func program(_ key: ProgramKey) throws -> ComputeProgram {
        if let program = programs[key] { return program }
        let glsl = try library.source(key.shader).specialised(key.overrides)
        let program = try context.makeProgram(name: key.description, glsl: glsl)
        programs[key] = program
        return program
    }
}
