import CGLES

/// A linked vertex + fragment program (for the HUD).
public final class RenderProgram {
    public let name: String
    public let glName: GLuint
    public let context: GLContext

    init(context: GLContext, name: String, vertex: String, fragment: String) throws {
        let vertexShader = try ShaderCompiler.compile(stage: GL_VERTEX_SHADER, stageName: "vertex", source: vertex, name: name)
        let fragmentShader: GLuint
        do {
            fragmentShader = try ShaderCompiler.compile(stage: GL_FRAGMENT_SHADER, stageName: "fragment", source: fragment, name: name)
        } catch {
            glDeleteShader(vertexShader)
            throw error
        }
        self.glName = try ShaderCompiler.link(name: name, shaders: [vertexShader, fragmentShader])
        self.name = name
        self.context = context
    }

    deinit {
        let name = glName
        context.borrowCurrent { glDeleteProgram(name) }
    }

    /// glUseProgram on this program.
    public func use() throws {
        try context.makeCurrent()
        glUseProgram(glName)
    }

    /// The location of a uniform, or nil when the program has none of that name (or the
    /// compiler removed it as unused).
    public func uniformLocation(_ uniform: String) -> GLint? {
        let location = glGetUniformLocation(glName, uniform)
        return location < 0 ? nil : location
    }
}

extension GLContext {
    /// Compiles and links a vertex + fragment program; errors name `name` and quote the source.
    public func makeRenderProgram(name: String, vertex: String, fragment: String) throws -> RenderProgram {
        try makeCurrent()
        return try RenderProgram(context: self, name: name, vertex: vertex, fragment: fragment)
    }
}
