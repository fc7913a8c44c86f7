import CEGL
import CGLES
import Foundation

/// A headless OpenGL ES 3.1+ context: the one object every GPU operation goes through.
///
/// Threading: GL contexts are bound to a thread. Create the context on the thread that will use
/// it and call it from that thread only (a serial loop, or one thread that owns the model). Every
/// public entry point first makes the context current on the calling thread if it is not, so
/// several contexts on one thread (tests, the HUD beside the engine) work; using one context from
/// two threads at once is not supported and fails with `GLESError.contextNotCurrent`.
public final class GLContext {
    /// Limits and capabilities probed right after creation.
    public let limits: GPULimits

    let display: EGLDisplay
    let context: EGLContext
    let surface: EGLSurface?
    let procs: GLExtensionProcs
    let memoryTracker = GPUMemoryTracker()
    private var uniformRingStorage: UniformRing?

    /// Check glGetError after every dispatch (on by default: it names the program that failed).
    /// glGetError makes a threaded driver wait for its worker thread, so the model turns it off
    /// for its steps and calls `checkErrors` once a step instead.
    public var checksErrorsAfterDispatch = true

    /// What the context was opened with.
    public let options: GLOptions

    /// Call glFlush after this many dispatches (nil: never; the driver flushes when it likes).
    /// A flush hands queued work to the GPU at once, so a step's first launches need not wait
    /// for the driver's own flush. `GLOptions.flushEvery` sets it.
    public var flushEvery: Int?
    var dispatchesSinceFlush = 0
    /// Which buffers queued launches may still read (`QueuedReads`).
    var queuedReads = QueuedReads()

    /// CPU nanoseconds spent in `dispatch` so far (checks, binding and the GL calls), so a
    /// profile can tell the driver's share of queueing time from the caller's.
    public internal(set) var dispatchNanoseconds: UInt64 = 0

    /// Throws the pending GL error, if any, naming `operation`.
    public func checkErrors(_ operation: @autoclosure () -> String) throws {
        try makeCurrent()
        try checkGL(operation())
    }

    /// How host-written uniform blocks reach the GPU (see `UniformUploadMode`). Setting it
    /// starts a fresh set of upload buffers.
    public var uniformUpload: UniformUploadMode {
        didSet {
            guard uniformUpload != oldValue, (try? makeCurrent()) != nil else { return }
            uniformRingStorage = nil
        }
    }

    var uniformRing: UniformRing {
        if let ring = uniformRingStorage { return ring }
        let storage = limits.hasExtension("GL_EXT_buffer_storage") ? procs.bufferStorage : nil
        let ring = UniformRing(alignment: limits.uniformBufferOffsetAlignment, mode: uniformUpload,
                               maxInFlight: options.maxUniformBlocksInFlight, bufferStorage: storage)
        uniformRingStorage = ring
        return ring
    }

    /// Bytes and buffers currently allocated through this context (for the HUD and telemetry).
    public var memory: GPUMemoryStats { memoryTracker.stats }

    /// Opens the first display that yields an ES 3.1+ context, trying EGL devices first, then
    /// Mesa's surfaceless platform, then the default display (`options.eglDevice` first, only
    /// `options.eglPlatform` when set).
    public static func createHeadless(options: GLOptions = GLOptions()) throws -> GLContext {
        if let device = options.eglDevice, device < 0 {
            throw GLESError.invalidArgument("the EGL device must be an index (0, 1, …), got \(device).")
        }
        let (candidates, notes) = eglDisplayCandidates(preferDevice: options.eglDevice, only: options.eglPlatform)
        var attempts = notes
        var tooOld: GLESError?
        for candidate in candidates {
            do {
                let opened = try EGLContextOpener.open(candidate, options: options)
                return try GLContext(opened: opened, candidate: candidate, attempts: attempts, options: options)
            } catch let error as GLESError {
                if case .noCompute = error { tooOld = error }
                attempts.append("\(candidate.description): \(error.localizedDescription)")
            }
        }
        if let tooOld { throw tooOld }
        throw GLESError.noDisplay(attempts: attempts)
    }

    /// The EGL platforms this EGL library offers, in the order `createHeadless` tries them (the
    /// default display is always listed; it may still fail without a window system).
    public static func offeredPlatforms() -> [EGLPlatformChoice] {
        let client = eglClientExtensions()
        var platforms: [EGLPlatformChoice] = []
        if client.contains("EGL_EXT_platform_device") { platforms.append(.device) }
        if client.contains("EGL_MESA_platform_surfaceless") { platforms.append(.surfaceless) }
        return platforms + [.default]
    }

    private init(opened: EGLContextOpener.Opened, candidate: EGLDisplayCandidate, attempts: [String], options: GLOptions) throws {
        self.options = options
        flushEvery = options.flushEvery
        uniformUpload = options.uniformUpload
        display = opened.display
        context = opened.context
        surface = opened.surface
        procs = GLExtensionProcs()
        if options.debugOutput && !GLDebugOutput.install() {
            FileHandle.standardError.write(Data("GL debug output: this driver has no GL_KHR_debug; no driver messages.\n".utf8))
        }
        let path = DisplayPathInfo(
            platform: candidate.platform, description: candidate.description, deviceIndex: candidate.deviceIndex,
            deviceExtensions: candidate.deviceExtensions, contextVersion: opened.contextVersion,
            configless: opened.configless, surfaceless: opened.surface == nil, skipped: attempts)
        limits = GPULimits.probe(display: display, path: path, procs: procs)
        if limits.glesMajor < 3 || (limits.glesMajor == 3 && limits.glesMinor < 1) {
            throw GLESError.noCompute(version: limits.glVersion, renderer: limits.renderer)
        }
    }

    deinit {
        if (try? makeCurrent()) != nil {
            uniformRingStorage = nil
            eglMakeCurrent(display, nil, nil, nil)
        }
        if let surface { eglDestroySurface(display, surface) }
        eglDestroyContext(display, context)
    }

    /// Makes this context current on the calling thread if it is not already.
    public func makeCurrent() throws {
        if eglGetCurrentContext() == context { return }
        guard eglMakeCurrent(display, surface, surface, context) == EGLBoolean(EGL_TRUE) else {
            throw GLESError.contextNotCurrent(eglError: lastEGLError())
        }
    }

    /// Whether this context is current on the calling thread.
    public var isCurrentOnThisThread: Bool { eglGetCurrentContext() == context }

    /// Runs `body` with the context current, and releases it again afterwards if it was not
    /// current on this thread before: for clean-up that may run on any thread (a buffer freed
    /// by whichever thread drops its last reference), so it never keeps the context from the
    /// thread that owns it.
    public func borrowCurrent(_ body: () -> Void) {
        let wasCurrent = isCurrentOnThisThread
        guard (try? makeCurrent()) != nil else { return }
        body()
        if !wasCurrent { releaseCurrent() }
    }

    /// Releases the context from the calling thread so another thread may make it current
    /// (hand-off between threads; never use it from two threads at once).
    public func releaseCurrent() {
        if eglGetCurrentContext() == context { eglMakeCurrent(display, nil, nil, nil) }
    }

    /// Waits until all queued GPU work has finished.
    public func finish() throws {
        try makeCurrent()
        glFinish()
        queuedReads.allFinished(counting: false)
        try checkGL("glFinish")
    }

    /// Submits queued work without waiting.
    public func flush() throws {
        try makeCurrent()
        glFlush()
    }

    /// Orders earlier shader writes before later reads of the given kinds. The default covers
    /// everything a compute pipeline does: storage reads, uniforms, indirect arguments, and
    /// buffer copies/maps.
    public func barrier(_ kinds: MemoryBarrier = .all) {
        guard (try? makeCurrent()) != nil else { return }
        glMemoryBarrier(kinds.rawValue)
        unorderedLaunchOwner = nil
    }

    /// Who queued the last launch that no barrier has ordered yet (a kernel library's chain of
    /// launches that order themselves on the GPU), or nil. A launch not in that chain must put
    /// a barrier before itself.
    public var unorderedLaunchOwner: ObjectIdentifier?
}

/// Which later accesses `GLContext.barrier` makes see earlier shader writes (glMemoryBarrier bits).
public struct MemoryBarrier: OptionSet, Sendable {
    public let rawValue: GLbitfield
    public init(rawValue: GLbitfield) { self.rawValue = rawValue }
    /// Storage buffer reads and writes by later shaders.
    public static let storage = MemoryBarrier(rawValue: GLbitfield(GL_SHADER_STORAGE_BARRIER_BIT))
    /// Uniform blocks sourced from buffers written by shaders.
    public static let uniform = MemoryBarrier(rawValue: GLbitfield(GL_UNIFORM_BARRIER_BIT))
    /// Indirect dispatch arguments written by shaders.
    public static let command = MemoryBarrier(rawValue: GLbitfield(GL_COMMAND_BARRIER_BIT))
    /// glBufferSubData, glCopyBufferSubData and mapped reads of shader-written buffers.
    public static let bufferUpdate = MemoryBarrier(rawValue: GLbitfield(GL_BUFFER_UPDATE_BARRIER_BIT))
    public static let all: MemoryBarrier = [.storage, .uniform, .command, .bufferUpdate]
}
