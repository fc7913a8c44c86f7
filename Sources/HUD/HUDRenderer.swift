import CGLES
import Foundation
import GLES

/// Draws HUD frames with GLES into an offscreen framebuffer and reads them back.
///
/// It uses the context it is given (the inference context in a live run) and must be called on
/// that context's thread. It leaves the GL state that compute work relies on as it found it:
/// no framebuffer, program or vertex array stays bound.
public final class HUDRenderer {
    private let context: GLContext
    private let programs: [GLDrawProgram.Pass: GLDrawProgram]
    private let atlas: FontAtlas
    private var atlasTexture: GLuint = 0
    private var vertexArray: GLuint = 0
    private var vertexBuffer: GLuint = 0
    private var target: OffscreenTarget?
    private let maxSize: Int

    /// - Parameter fontsDirectory: where the *.hudfont files are; found with `HUDAssets` when nil.
    public init(context: GLContext, fontsDirectory: String? = nil) throws {
        self.context = context
        try context.makeCurrent()
        Self.drainErrors()
        let directory = try fontsDirectory ?? HUDAssets.fontsDirectory()
        atlas = FontAtlas(fonts: try HUDFonts.load(from: directory))
        var programs: [GLDrawProgram.Pass: GLDrawProgram] = [:]
        for pass in GLDrawProgram.Pass.allCases { programs[pass] = try GLDrawProgram(context: context, pass: pass) }
        self.programs = programs
        var limit: GLint = 0
        glGetIntegerv(GLenum(GL_MAX_TEXTURE_SIZE), &limit)
        maxSize = Int(limit)
        try makeAtlasTexture()
        makeVertexArray()
        try checkError("setup")
    }

    deinit {
        try? context.makeCurrent()
        glDeleteTextures(1, &atlasTexture)
        glDeleteBuffers(1, &vertexBuffer)
        glDeleteVertexArrays(1, &vertexArray)
    }

    /// The frame for `state` at `time` (seconds since the run started), `size` pixels.
    public func render(_ state: HUDState, time: Double, size: FrameSize = .hd) throws -> RGBAImage {
        try size.validate(limit: maxSize)
        try context.makeCurrent()
        if target?.width != size.width || target?.height != size.height {
            target = nil
            target = try context.makeOffscreenTarget(width: size.width, height: size.height)
        }
        guard let target else { throw HUDError.framebufferIncomplete(status: "none") }
        // Errors left by compute work are not the HUD's; pixel buffers bound for compute
        // readback would swallow glReadPixels and glTexSubImage2D.
        Self.drainErrors()
        glBindBuffer(GLenum(GL_PIXEL_PACK_BUFFER), 0)
        glBindBuffer(GLenum(GL_PIXEL_UNPACK_BUFFER), 0)
        var list = DrawList(atlas: atlas)
        HUDScene(state: state, time: time, size: size).draw(into: &list)

        try target.bind()
        glDisable(GLenum(GL_DEPTH_TEST))
        glDisable(GLenum(GL_CULL_FACE))
        glDisable(GLenum(GL_SCISSOR_TEST))
        glEnable(GLenum(GL_BLEND))
        glBlendFuncSeparate(GLenum(GL_SRC_ALPHA), GLenum(GL_ONE_MINUS_SRC_ALPHA), GLenum(GL_ONE), GLenum(GL_ONE_MINUS_SRC_ALPHA))
        glClearColor(0, 0, 0, 1)
        glClear(GLbitfield(GL_COLOR_BUFFER_BIT))
        glActiveTexture(GLenum(GL_TEXTURE0))
        glBindTexture(GLenum(GL_TEXTURE_2D), atlasTexture)
        glBindVertexArray(vertexArray)
        glBindBuffer(GLenum(GL_ARRAY_BUFFER), vertexBuffer)
        list.vertices.withUnsafeBytes { bytes in
            glBufferData(GLenum(GL_ARRAY_BUFFER), bytes.count, bytes.baseAddress, GLenum(GL_STREAM_DRAW))
        }
        for run in list.runs {
            try programs[run.pass]!.use(width: size.width, height: size.height, atlasUnit: 0)
            glDrawArrays(GLenum(GL_TRIANGLES), GLint(run.firstVertex), GLsizei(run.vertexCount))
        }
        glBindVertexArray(0)
        glBindBuffer(GLenum(GL_ARRAY_BUFFER), 0)
        glBindTexture(GLenum(GL_TEXTURE_2D), 0)
        glUseProgram(0)
        glDisable(GLenum(GL_BLEND))
        try checkError("draw")
        let image = RGBAImage(width: size.width, height: size.height, pixels: try target.readPixels())
        glBindFramebuffer(GLenum(GL_FRAMEBUFFER), 0)
        return image
    }

    /// Clears GL's error flags (a context may hold several; a lost context reports forever).
    private static func drainErrors() {
        var drained = 0
        while drained < 16, glGetError() != GLenum(GL_NO_ERROR) { drained += 1 }
    }

    private func makeAtlasTexture() throws {
        glBindBuffer(GLenum(GL_PIXEL_UNPACK_BUFFER), 0)
        glGenTextures(1, &atlasTexture)
        glBindTexture(GLenum(GL_TEXTURE_2D), atlasTexture)
        glTexStorage2D(GLenum(GL_TEXTURE_2D), 1, GLenum(GL_R8), GLsizei(atlas.width), GLsizei(atlas.height))
        glPixelStorei(GLenum(GL_UNPACK_ALIGNMENT), 1)
        atlas.pixels.withUnsafeBytes { bytes in
            glTexSubImage2D(GLenum(GL_TEXTURE_2D), 0, 0, 0, GLsizei(atlas.width), GLsizei(atlas.height),
                            GLenum(GL_RED), GLenum(GL_UNSIGNED_BYTE), bytes.baseAddress)
        }
        glTexParameteri(GLenum(GL_TEXTURE_2D), GLenum(GL_TEXTURE_MIN_FILTER), GL_NEAREST)
        glTexParameteri(GLenum(GL_TEXTURE_2D), GLenum(GL_TEXTURE_MAG_FILTER), GL_NEAREST)
        glBindTexture(GLenum(GL_TEXTURE_2D), 0)
    }

    private func makeVertexArray() {
        glGenVertexArrays(1, &vertexArray)
        glGenBuffers(1, &vertexBuffer)
        glBindVertexArray(vertexArray)
        glBindBuffer(GLenum(GL_ARRAY_BUFFER), vertexBuffer)
        let stride = GLsizei(GLDrawProgram.floatsPerVertex * MemoryLayout<Float>.size)
        // (attribute location, float count, offset in floats): position, uv, colour, mode, params.
        for (location, count, offset) in [(0, 2, 0), (1, 2, 2), (2, 4, 4), (3, 1, 8), (4, 3, 9)] {
            glEnableVertexAttribArray(GLuint(location))
            glVertexAttribPointer(GLuint(location), GLint(count), GLenum(GL_FLOAT), GLboolean(GL_FALSE), stride,
                                  UnsafeRawPointer(bitPattern: offset * MemoryLayout<Float>.size))
        }
        glBindVertexArray(0)
        glBindBuffer(GLenum(GL_ARRAY_BUFFER), 0)
    }

    private func checkError(_ operation: String) throws {
        let code = glGetError()
        if code != GLenum(GL_NO_ERROR) {
            while glGetError() != GLenum(GL_NO_ERROR) {}
            throw HUDError.glError(operation: operation, code: "0x" + String(code, radix: 16))
        }
    }
}
