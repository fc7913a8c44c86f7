import CGLES

/// A linked compute shader.
public final class ComputeProgram {
    public let name: String
    /// The local size the shader declares (GL_COMPUTE_WORK_GROUP_SIZE): [x, y, z].
    public let workgroupSize: [Int]
    /// The GL program name, for code that issues GL calls of its own.
    public let glName: GLuint
    public let context: GLContext

    init(context: GLContext, name: String, glsl: String) throws {
        let shader = try ShaderCompiler.compile(stage: GL_COMPUTE_SHADER, stageName: "compute", source: glsl, name: name)
        let program = try ShaderCompiler.link(name: name, shaders: [shader])
        var size = [GLint](repeating: 0, count: 3)
        glGetProgramiv(program, gl(GL_COMPUTE_WORK_GROUP_SIZE), &size)
        self.name = name
        self.workgroupSize = size.map(Int.init)
        self.glName = program
        self.context = context
        try checkGL("linking compute program '\(name)'")
    }

    public var invocationsPerWorkgroup: Int { workgroupSize.reduce(1, *) }

    deinit {
        if (try? context.makeCurrent()) != nil { glDeleteProgram(glName) }
    }
}

extension GLContext {
    /// Compiles and links a compute shader. `name` appears in every error about it.
    public func makeProgram(name: String, glsl: String) throws -> ComputeProgram {
        try makeCurrent()
        return try ComputeProgram(context: self, name: name, glsl: glsl)
    }
}
