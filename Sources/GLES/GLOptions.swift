/// How a headless context is opened and driven: the GLES part of the run's configuration. The
/// library never reads the environment; the executable parses its `GPTOSS_GL_*` variables once
/// (the Settings module) and hands this down, tests construct it directly.
public struct GLOptions: Sendable, Equatable {
    /// An EGL device index to try first (`GPTOSS_GL_EGL_DEVICE`).
    public var eglDevice: Int?
    /// Try only this EGL platform (`GPTOSS_GL_EGL_PLATFORM`).
    public var eglPlatform: EGLPlatformChoice?
    /// Driver messages (GL_KHR_debug) on stderr (`GPTOSS_GL_DEBUG`).
    public var debugOutput: Bool
    /// A context without error checking (KHR_create_context_no_error), to measure what the
    /// driver's validation costs per dispatch; errors then go unseen (`GPTOSS_GL_NO_ERROR`).
    public var noErrorContext: Bool
    /// glFlush after this many dispatches; nil: never, the driver flushes when it likes
    /// (`GPTOSS_GL_FLUSH_EVERY`).
    public var flushEvery: Int?
    /// How uniform blocks reach the GPU (`GPTOSS_GL_UNIFORMS`, see `UniformUploadMode`).
    public var uniformUpload: UniformUploadMode
    /// Uniform blocks that may be queued before the CPU waits (`GPTOSS_GL_MAX_IN_FLIGHT`,
    /// `UniformRing`).
    public var maxUniformBlocksInFlight: Int
    /// glFinish before every buffer upload (`GPTOSS_GL_FINISH_BEFORE_UPLOAD`, a diagnostic): no
    /// upload can then meet a queued launch that still reads the buffer, which tells a driver
    /// that mis-orders such an upload from a fault of ours.
    public var finishesBeforeUploads = false
    /// A folder that receives every linked program's driver binary (glGetProgramBinary) beside
    /// its GLSL (`GPTOSS_GL_DUMP_PROGRAMS`, a diagnostic): NVIDIA's GLES driver puts the NV
    /// assembly it compiled the GLSL to in the binary, which `scripts/program_report.py` reads
    /// for how each memory access was compiled. nil: nothing is written.
    public var programDumpDirectory: String?

    /// The bounds of `maxUniformBlocksInFlight`.
    public static let uniformBlocksInFlightRange = 64 ... 4096

    public init(eglDevice: Int? = nil, eglPlatform: EGLPlatformChoice? = nil, debugOutput: Bool = false,
                noErrorContext: Bool = false, flushEvery: Int? = nil, uniformUpload: UniformUploadMode = .cached,
                maxUniformBlocksInFlight: Int = 512) {
        self.eglDevice = eglDevice; self.eglPlatform = eglPlatform; self.debugOutput = debugOutput
        self.noErrorContext = noErrorContext; self.flushEvery = flushEvery; self.uniformUpload = uniformUpload
        self.maxUniformBlocksInFlight = maxUniformBlocksInFlight
    }
}
