import CGLES

/// A W×H RGBA8 colour texture behind a framebuffer object: where the HUD draws without a window.
public final class OffscreenTarget {
    public let width: Int
    public let height: Int
    /// GL names, for code that issues GL calls of its own (e.g. sampling the texture).
    public let framebuffer: GLuint
    public let colorTexture: GLuint
    public let context: GLContext

    init(context: GLContext, width: Int, height: Int) throws {
        let limit = context.limits.maxRenderbufferSize
        guard width > 0, height > 0, width <= limit, height <= limit else {
            throw GLESError.invalidArgument("Offscreen target \(width)×\(height): each side must be 1...\(limit) on this device.")
        }
        _ = takeGLError()
        var texture: GLuint = 0
        glGenTextures(1, &texture)
        glBindTexture(gl(GL_TEXTURE_2D), texture)
        glTexStorage2D(gl(GL_TEXTURE_2D), 1, gl(GL_RGBA8), GLsizei(width), GLsizei(height))
        glTexParameteri(gl(GL_TEXTURE_2D), gl(GL_TEXTURE_MIN_FILTER), GL_LINEAR)
        glTexParameteri(gl(GL_TEXTURE_2D), gl(GL_TEXTURE_MAG_FILTER), GL_LINEAR)
        var fbo: GLuint = 0
        glGenFramebuffers(1, &fbo)
        glBindFramebuffer(gl(GL_FRAMEBUFFER), fbo)
        glFramebufferTexture2D(gl(GL_FRAMEBUFFER), gl(GL_COLOR_ATTACHMENT0), gl(GL_TEXTURE_2D), texture, 0)
        let status = glCheckFramebufferStatus(gl(GL_FRAMEBUFFER))
        let error = takeGLError()
        if status != gl(GL_FRAMEBUFFER_COMPLETE) || error != nil {
            glBindFramebuffer(gl(GL_FRAMEBUFFER), 0)
            glDeleteFramebuffers(1, &fbo)
            glDeleteTextures(1, &texture)
            if error == gl(GL_OUT_OF_MEMORY) {
                throw GLESError.outOfMemory(label: "offscreen \(width)×\(height)", byteCount: width * height * 4,
                                            allocatedBytes: context.memory.allocatedBytes)
            }
            throw GLESError.framebufferIncomplete(status: String(format: "status 0x%04X, %@", status, error.map(glErrorName) ?? "no GL error"))
        }
        self.width = width
        self.height = height
        self.framebuffer = fbo
        self.colorTexture = texture
        self.context = context
    }

    deinit {
        var fbo = framebuffer, texture = colorTexture
        context.borrowCurrent {
            glDeleteFramebuffers(1, &fbo)
            glDeleteTextures(1, &texture)
        }
    }

    /// Makes this the draw and read framebuffer and sets the viewport to cover it.
    public func bind() throws {
        try context.makeCurrent()
        glBindFramebuffer(gl(GL_FRAMEBUFFER), framebuffer)
        glViewport(0, 0, GLsizei(width), GLsizei(height))
    }

    /// Fills the whole target with one colour (components 0...1).
    public func clear(red: Float, green: Float, blue: Float, alpha: Float) throws {
        try bind()
        glClearColor(red, green, blue, alpha)
        glClear(GLbitfield(GL_COLOR_BUFFER_BIT))
        try checkGL("clearing offscreen target")
    }

    /// The pixels as RGBA bytes, rows from the top of the image down (GL stores bottom-up).
    public func readPixels() throws -> [UInt8] {
        try bind()
        glMemoryBarrier(GLbitfield(GL_FRAMEBUFFER_BARRIER_BIT))
        glPixelStorei(gl(GL_PACK_ALIGNMENT), 1)
        let rowBytes = width * 4
        var bottomUp = [UInt8](repeating: 0, count: rowBytes * height)
        glReadPixels(0, 0, GLsizei(width), GLsizei(height), gl(GL_RGBA), gl(GL_UNSIGNED_BYTE), &bottomUp)
        try checkGL("glReadPixels of \(width)×\(height) target")
        var topDown = [UInt8](repeating: 0, count: bottomUp.count)
        for row in 0..<height {
            let source = (height - 1 - row) * rowBytes
            topDown.replaceSubrange(row * rowBytes..<(row + 1) * rowBytes, with: bottomUp[source..<source + rowBytes])
        }
        return topDown
    }
}

extension GLContext {
    public func makeOffscreenTarget(width: Int, height: Int) throws -> OffscreenTarget {
        try makeCurrent()
        return try OffscreenTarget(context: self, width: width, height: height)
    }
}
