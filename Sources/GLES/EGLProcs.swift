import CEGL

// EGL extension entry points, looked up at run time with eglGetProcAddress: glvnd exposes them
// only that way, and a driver without the extension simply returns nil.

typealias EGLQueryDevicesFn = @convention(c) (EGLint, UnsafeMutablePointer<EGLDeviceEXT?>?, UnsafeMutablePointer<EGLint>?) -> EGLBoolean
typealias EGLQueryDeviceStringFn = @convention(c) (EGLDeviceEXT?, EGLint) -> UnsafePointer<CChar>?
typealias EGLGetPlatformDisplayFn = @convention(c) (EGLenum, UnsafeMutableRawPointer?, UnsafePointer<EGLint>?) -> EGLDisplay?

func loadEGLProc<T>(_ name: String, as type: T.Type) -> T? {
    guard let pointer = eglGetProcAddress(name) else { return nil }
    return unsafeBitCast(pointer, to: type)
}

/// The client (display-independent) EGL extensions, e.g. EGL_EXT_platform_device.
func eglClientExtensions() -> Set<String> {
    guard let pointer = eglQueryString(nil, EGL_EXTENSIONS) else { return [] }
    return Set(String(cString: pointer).split(separator: " ").map(String.init))
}
