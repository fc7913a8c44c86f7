import CGLES

/// A linked compute shader.
public final class ComputeProgram {
    public let name: String
    /// The local size the shader declares (GL_COMPUTE_WORK_GROUP_SIZE): [x, y, z].
    public let workgroupSize: [Int]
    /// The GL program name, for code that issues GL calls of its own.
    public let glName: GLuint
    public let context: GLContext
    /// Bytes of each active uniform block, by binding point (GL_UNIFORM_BLOCK_DATA_SIZE): a
    /// dispatch must bind at least this much, or the shader reads past the bound range (on
    /// NVIDIA that returns whatever lies beyond it, e.g. the next dispatch's parameters).
    public let uniformBlockBytes: [Int: Int]

    init(context: GLContext, name: String, glsl: String) throws {
        let shader = try ShaderCompiler.compile(stage: GL_COMPUTE_SHADER, stageName: "compute", source: glsl, name: name)
        let dumpDirectory = context.options.programDumpDirectory
        let program = try ShaderCompiler.link(name: name, shaders: [shader], retrievable: dumpDirectory != nil)
        var size = [GLint](repeating: 0, count: 3)
        glGetProgramiv(program, gl(GL_COMPUTE_WORK_GROUP_SIZE), &size)
        self.name = name
        self.workgroupSize = size.map(Int.init)
        self.glName = program
        self.context = context
        var blocks: GLint = 0
        glGetProgramiv(program, gl(GL_ACTIVE_UNIFORM_BLOCKS), &blocks)
        var blockBytes: [Int: Int] = [:]
        for block in 0 ..< GLuint(max(0, blocks)) {
            var binding: GLint = 0, bytes: GLint = 0
            glGetActiveUniformBlockiv(program, block, gl(GL_UNIFORM_BLOCK_BINDING), &binding)
            glGetActiveUniformBlockiv(program, block, gl(GL_UNIFORM_BLOCK_DATA_SIZE), &bytes)
            blockBytes[Int(binding)] = Int(bytes)
        }
        self.uniformBlockBytes = blockBytes
        try checkGL("linking compute program '\(name)'")
        if let dumpDirectory {
            try ProgramDump.write(program: program, name: name, glsl: glsl, workgroupSize: workgroupSize, into: dumpDirectory)
        }
    }

    public var invocationsPerWorkgroup: Int { workgroupSize.reduce(1, *) }

    deinit {
        let name = glName
        context.borrowCurrent { glDeleteProgram(name) }
    }
}

extension GLContext {
    /// Compiles and links a compute shader. `name` appears in every error about it.
    public func makeProgram(name: String, glsl: String) throws -> ComputeProgram {
        try makeCurrent()
        return try ComputeProgram(context: self, name: name, glsl: glsl)
    }
}
