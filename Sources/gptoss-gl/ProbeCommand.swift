import ArgumentParser
import Foundation
import GLES
import Kernels

/// `gptoss-gl probe`: opens the headless GLES context the engine would use and prints what the
/// device offers (limits, extensions, which EGL display path was taken).
struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Print the GPU's GLES limits and capabilities (what kernels can rely on).",
        discussion: """
        Display order: EGL devices (EGL_EXT_platform_device), then Mesa's surfaceless platform, then \
        the default display. Environment: GPTOSS_GL_EGL_DEVICE=N tries device N first; \
        GPTOSS_GL_EGL_PLATFORM=device|surfaceless|default uses only that path. On NVIDIA set \
        __EGL_VENDOR_LIBRARY_FILENAMES to the driver's egl_vendor.d JSON.
        """
    )

    @Flag(help: "Print JSON (the GPULimits record, as the HUD and telemetry keep it).")
    var json = false

    @Flag(help: "List every GL extension in the table.")
    var extensions = false

    @Flag(help: "Also check whether launches can follow each other without barriers on this device (chained launches: the load-time probe, then the same launches chained at three sizes).")
    var launches = false

    @Flag(help: "Also time dependent phases handed off inside one launch (workgroups ordered by tickets) against one launch a phase with a storage barrier, and check every hand-off (f32_phase_handoff).")
    var phases = false

    @Option(help: "Launches a shape of --phases is timed over.")
    var phaseLaunches = 200

    @Option(parsing: .unconditional, help: "Try this EGL device index first (overrides GPTOSS_GL_EGL_DEVICE).")
    var device: Int?

    @Option(help: "Use only this EGL platform: device, surfaceless or default (overrides GPTOSS_GL_EGL_PLATFORM).")
    var platform: String?

    func validate() throws {
        if let platform, EGLPlatformChoice(rawValue: platform.lowercased()) == nil {
            throw ValidationError("--platform must be one of device, surfaceless, default; got '\(platform)'.")
        }
        if let device, device < 0 { throw ValidationError("--device must be 0 or more, got \(device).") }
        if phaseLaunches < 1 { throw ValidationError("--phase-launches must be 1 or more, got \(phaseLaunches).") }
    }

    func run() throws {
        let context: GLContext
        do {
            var options = try RunEnvironment.configuration().gl
            if let device { options.eglDevice = device }
            if let platform { options.eglPlatform = EGLPlatformChoice(rawValue: platform.lowercased()) }
            context = try GLContext.createHeadless(options: options)
        } catch {
            FileHandle.standardError.write(Data("error: \(error.localizedDescription)\n".utf8))
            throw ExitCode(1)
        }
        print(json ? try context.limits.json() : context.limits.report(includeExtensions: extensions))
        if launches { try printLaunchOrdering(context) }
        if phases { try printPhaseHandoffs(context) }
    }

    /// `--phases`: every shape of `KernelLibrary.phaseHandoffProbeShapes`, one line each, as it
    /// is measured (a shape whose waits give up takes seconds).
    private func printPhaseHandoffs(_ context: GLContext) throws {
        try reportingErrors {
            let kernels = try probeLibrary(context, chained: false)
            print("phase hand-offs (GPU µs a launch of all phases, the mean over \(phaseLaunches) launches):")
            for shape in KernelLibrary.phaseHandoffProbeShapes where shape.workgroup <= context.limits.maxComputeWorkGroupInvocations {
                print("  " + (try kernels.timePhaseHandoff(shape, launches: phaseLaunches)).line)
                // Line by line into a file or pipe too: a run cut short keeps what it measured.
                fflush(stdout)
            }
        }
    }

    /// The chained-launch probe as the engine runs it at load, and the same launches chained
    /// whatever it decided, so a failure says at which sizes.
    private func printLaunchOrdering(_ context: GLContext) throws {
        try reportingErrors {
            let kernels = try probeLibrary(context, chained: true)
            print("launches: \(kernels.launchOrdering)")
            try kernels.chainWithoutProbe()
            guard kernels.chainsLaunches else { return }
            for line in try kernels.chainProbeReport() { print("chained anyway: \(line)") }
        }
    }

    /// A kernel library on `context` with the device's tuning and GPTOSS_GL_TUNE, asking for
    /// chained launches when `chained`.
    private func probeLibrary(_ context: GLContext, chained: Bool) throws -> KernelLibrary {
        let environment = try RunEnvironment.configuration()
        var tuning = KernelTuning.forLimits(context.limits, overrides: environment.tuning)
        if chained { tuning.chainedLaunches = true }
        return try KernelLibrary(context: context, shaders: .located(home: environment.home), tuning: tuning)
    }

    /// Runs a probe; an error is printed and the command exits 1.
    private func reportingErrors(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch {
            FileHandle.standardError.write(Data("error: \(error.localizedDescription)\n".utf8))
            throw ExitCode(1)
        }
    }
}
