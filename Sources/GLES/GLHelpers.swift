import CEGL
import CGLES

// Small wrappers over the C APIs: enum conversions, error names and strings. Header macros come
// into Swift as Int32, so `gl(...)` turns them into GLenum once instead of at every call.

@inline(__always) func gl(_ value: Int32) -> GLenum { GLenum(bitPattern: value) }

func glErrorName(_ code: GLenum) -> String {
    switch Int32(bitPattern: code) {
    case GL_NO_ERROR: return "GL_NO_ERROR"
    case GL_INVALID_ENUM: return "GL_INVALID_ENUM"
    case GL_INVALID_VALUE: return "GL_INVALID_VALUE"
    case GL_INVALID_OPERATION: return "GL_INVALID_OPERATION"
    case GL_INVALID_FRAMEBUFFER_OPERATION: return "GL_INVALID_FRAMEBUFFER_OPERATION"
    case GL_OUT_OF_MEMORY: return "GL_OUT_OF_MEMORY"
    default: return String(format: "0x%04X", code)
    }
}

func eglErrorName(_ code: EGLint) -> String {
    switch code {
    case EGL_SUCCESS: return "EGL_SUCCESS"
    case EGL_NOT_INITIALIZED: return "EGL_NOT_INITIALIZED"
    case EGL_BAD_ACCESS: return "EGL_BAD_ACCESS"
    case EGL_BAD_ALLOC: return "EGL_BAD_ALLOC"
    case EGL_BAD_ATTRIBUTE: return "EGL_BAD_ATTRIBUTE"
    case EGL_BAD_CONFIG: return "EGL_BAD_CONFIG"
    case EGL_BAD_CONTEXT: return "EGL_BAD_CONTEXT"
    case EGL_BAD_CURRENT_SURFACE: return "EGL_BAD_CURRENT_SURFACE"
    case EGL_BAD_DISPLAY: return "EGL_BAD_DISPLAY"
    case EGL_BAD_MATCH: return "EGL_BAD_MATCH"
    case EGL_BAD_NATIVE_PIXMAP: return "EGL_BAD_NATIVE_PIXMAP"
    case EGL_BAD_NATIVE_WINDOW: return "EGL_BAD_NATIVE_WINDOW"
    case EGL_BAD_PARAMETER: return "EGL_BAD_PARAMETER"
    case EGL_BAD_SURFACE: return "EGL_BAD_SURFACE"
    case EGL_CONTEXT_LOST: return "EGL_CONTEXT_LOST"
    default: return String(format: "EGL error 0x%04X", code)
    }
}

func lastEGLError() -> String { eglErrorName(eglGetError()) }

/// Drains GL's error flags (there may be several) and returns the first, or nil.
func takeGLError() -> GLenum? {
    var first: GLenum?
    while true {
        let code = glGetError()
        if code == GLenum(GL_NO_ERROR) { return first }
        if first == nil { first = code }
    }
}

func checkGL(_ operation: @autoclosure () -> String) throws {
    if let code = takeGLError() {
        throw GLESError.glError(operation: operation(), code: glErrorName(code))
    }
}

func glString(_ name: Int32) -> String {
    guard let pointer = glGetString(gl(name)) else { return "" }
    return String(cString: UnsafeRawPointer(pointer).assumingMemoryBound(to: CChar.self))
}

func glInteger(_ name: Int32) -> Int {
    var value: GLint64 = 0
    glGetInteger64v(gl(name), &value)
    return Int(value)
}

func glIndexedInteger(_ name: Int32, _ index: Int) -> Int {
    var value: GLint = 0
    glGetIntegeri_v(gl(name), GLuint(index), &value)
    return Int(value)
}

func eglString(_ display: EGLDisplay?, _ name: Int32) -> String {
    guard let pointer = eglQueryString(display, name) else { return "" }
    return String(cString: pointer)
}
