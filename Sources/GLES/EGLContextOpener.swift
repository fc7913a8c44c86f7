import CEGL
import CGLES
import Foundation

/// Initialises one EGL display and makes an ES 3.2 (else 3.1) context current on it, with no
/// config and no surface where the driver allows, else a 1×1 pbuffer.
enum EGLContextOpener {
    struct Opened {
        let display: EGLDisplay
        let context: EGLContext
        let surface: EGLSurface?
        let contextVersion: String
        let configless: Bool
    }

    static func open(_ candidate: EGLDisplayCandidate, options: GLOptions) throws -> Opened {
        guard let display = candidate.open() else {
            throw GLESError.contextCreationFailed(display: candidate.description, eglError: "no display (\(lastEGLError()))")
        }
        var major: EGLint = 0, minor: EGLint = 0
        guard eglInitialize(display, &major, &minor) == EGLBoolean(EGL_TRUE) else {
            throw GLESError.contextCreationFailed(display: candidate.description, eglError: "eglInitialize failed (\(lastEGLError()))")
        }
        guard eglBindAPI(EGLenum(EGL_OPENGL_ES_API)) == EGLBoolean(EGL_TRUE) else {
            throw GLESError.contextCreationFailed(display: candidate.description, eglError: "eglBindAPI(EGL_OPENGL_ES_API) failed (\(lastEGLError()))")
        }
        let extensions = Set(eglString(display, EGL_EXTENSIONS).split(separator: " ").map(String.init))
        let canSkipConfig = extensions.contains("EGL_KHR_no_config_context") || extensions.contains("EGL_MESA_configless_context")
        let canSkipSurface = extensions.contains("EGL_KHR_surfaceless_context")

        var config: EGLConfig?
        if !canSkipConfig || !canSkipSurface {
            config = chooseConfig(display)
            if config == nil {
                throw GLESError.contextCreationFailed(display: candidate.description, eglError: "no ES3 pbuffer config and no configless contexts (\(lastEGLError()))")
            }
        }
        var failures: [String] = []
        for minorVersion in [2, 1] as [EGLint] {
            var attributes: [EGLint] = [EGL_CONTEXT_MAJOR_VERSION, 3, EGL_CONTEXT_MINOR_VERSION, minorVersion]
            if options.debugOutput { attributes += [EGL_CONTEXT_OPENGL_DEBUG, EGLint(EGL_TRUE)] }
            // A context without error checking (KHR_create_context_no_error), to measure what the
            // driver's validation costs per dispatch. Errors then go unseen.
            if options.noErrorContext && !options.debugOutput
                && extensions.contains("EGL_KHR_create_context_no_error") {
                attributes += [EGL_CONTEXT_OPENGL_NO_ERROR_KHR, EGLint(EGL_TRUE)]
            }
            attributes.append(EGL_NONE)
            guard let context = eglCreateContext(display, canSkipConfig ? nil : config, nil, attributes) else {
                failures.append("ES 3.\(minorVersion): \(lastEGLError())")
                continue
            }
            var surface: EGLSurface?
            if !canSkipSurface, let config {
                let size: [EGLint] = [EGL_WIDTH, 1, EGL_HEIGHT, 1, EGL_NONE]
                surface = eglCreatePbufferSurface(display, config, size)
                if surface == nil {
                    failures.append("ES 3.\(minorVersion): pbuffer \(lastEGLError())")
                    eglDestroyContext(display, context)
                    continue
                }
            }
            if eglMakeCurrent(display, surface, surface, context) == EGLBoolean(EGL_TRUE) {
                return Opened(display: display, context: context, surface: surface, contextVersion: "3.\(minorVersion)",
                              configless: canSkipConfig)
            }
            failures.append("ES 3.\(minorVersion): eglMakeCurrent \(lastEGLError())")
            if let surface { eglDestroySurface(display, surface) }
            eglDestroyContext(display, context)
        }
        throw GLESError.contextCreationFailed(display: candidate.description, eglError: failures.joined(separator: "; "))
    }

    private static func chooseConfig(_ display: EGLDisplay) -> EGLConfig? {
        let attributes: [EGLint] = [
            EGL_RENDERABLE_TYPE, EGL_OPENGL_ES3_BIT, EGL_SURFACE_TYPE, EGL_PBUFFER_BIT,
            EGL_RED_SIZE, 8, EGL_GREEN_SIZE, 8, EGL_BLUE_SIZE, 8, EGL_ALPHA_SIZE, 8, EGL_NONE,
        ]
        var config: EGLConfig?
        var count: EGLint = 0
        guard eglChooseConfig(display, attributes, &config, 1, &count) == EGLBoolean(EGL_TRUE), count > 0 else { return nil }
        return config
    }
}
