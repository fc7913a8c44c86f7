import CGLES
import Foundation

/// Driver messages (GL_KHR_debug) printed to stderr when `GLOptions.debugOutput` is on
/// (GPTOSS_GL_DEBUG=1): the driver then says why a call failed or was slow, which glGetError
/// alone cannot.
enum GLDebugOutput {
    typealias Callback = @convention(c) (GLenum, GLenum, GLuint, GLenum, GLsizei, UnsafePointer<GLchar>?, UnsafeRawPointer?) -> Void
    typealias SetCallbackFn = @convention(c) (Callback?, UnsafeRawPointer?) -> Void

    /// Installs the stderr callback on the current context; false when the driver lacks KHR_debug.
    static func install() -> Bool {
        guard let setCallback = loadEGLProc("glDebugMessageCallbackKHR", as: SetCallbackFn.self)
                ?? loadEGLProc("glDebugMessageCallback", as: SetCallbackFn.self) else { return false }
        glEnable(gl(GL_DEBUG_OUTPUT_KHR))
        glEnable(gl(GL_DEBUG_OUTPUT_SYNCHRONOUS_KHR))
        setCallback({ _, type, id, severity, _, message, _ in
            let text = message.map { String(cString: $0) } ?? ""
            let line = "GL debug [\(debugSeverityName(severity)), type 0x\(String(type, radix: 16)), id \(id)]: \(text)\n"
            FileHandle.standardError.write(Data(line.utf8))
        }, nil)
        _ = takeGLError()
        return true
    }
}

private func debugSeverityName(_ severity: GLenum) -> String {
        switch Int32(bitPattern: severity) {
        case GL_DEBUG_SEVERITY_HIGH_KHR: return "high"
        case GL_DEBUG_SEVERITY_MEDIUM_KHR: return "medium"
        case GL_DEBUG_SEVERITY_LOW_KHR: return "low"
        default: return "note"
        }
}
