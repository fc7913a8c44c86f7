import Foundation
import GGUF
import GLES
import HUD
import Kernels

/// Everything the `GPTOSS_GL_*` environment variables can set, parsed once (`parse`) by the
/// executable and handed down as the options values of the modules it configures: `fileOptions`
/// to the GGUF reader (model and tokenizer files), `gl` to
/// `GLContext.createHeadless`, `tuning` and `verifiesGroupedExperts` to the `KernelLibrary`, the
/// model switches to `ModelOptions`, `ffmpeg` and `home` to the HUD recorder, `home` to the
/// shader, font and vocabulary lookups. No library reads the environment; tests build these
/// values directly. `variables` is the list README.md documents (SettingsTests checks it).
public struct RunConfiguration: Sendable, Equatable {
    /// The checkout, when the binary runs elsewhere (shaders, fonts, vocabulary, bundled model).
    public var home: String?
    /// The slowest HTTP transfer accepted when a model is read by URL: bytes/s averaged over
    /// seconds (limit 0: no check).
    public var httpLowSpeedLimit = HTTPOptions.defaultLowSpeed.limit
    public var httpLowSpeedSeconds = HTTPOptions.defaultLowSpeed.seconds
    public var gl = GLOptions()
    /// GPTOSS_GL_TUNE, applied to the tuning the device's limits pick.
    public var tuning = KernelTuningOverrides()
    public var uploadMethod: WeightUploadMethod?
    public var checksEveryDispatch = false
    public var verifiesGroupedExperts = false
    /// GPTOSS_GL_LAUNCH_BARRIER=none: no storage barrier after a launch (measuring only: later
    /// launches may then read stale data).
    public var omitsLaunchBarriers = false
    /// GPTOSS_GL_LAUNCH_BARRIER=chained: chained launches without their load-time probe
    /// (measuring only: on a device where chaining is wrong the output is wrong).
    public var chainsWithoutProbe = false
    public var printsLoadTimings = false
    public var ffmpeg = FFmpegLocation()

    public init() {}

    /// How the GGUF reader fetches a model or tokenizer file (`HTTPOptions` with the low-speed
    /// limit set).
    public var fileOptions: GGUFOpenOptions {
        GGUFOpenOptions(http: HTTPOptions(lowSpeedLimit: httpLowSpeedLimit, lowSpeedTime: httpLowSpeedSeconds))
    }

    /// Parses every `GPTOSS_GL_*` variable of `environment` (and PATH, where ffmpeg is looked
    /// for). An unknown `GPTOSS_GL_*` name or a bad value is an error naming the variable, what it
    /// takes and what it got.
    public static func parse(_ environment: [String: String]) throws -> RunConfiguration {
        var c = RunConfiguration()
        if let path = environment["PATH"], !path.isEmpty { c.ffmpeg.searchPath = path }
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) where name.hasPrefix(prefix) {
            guard let variable = variables.first(where: { $0.name == name }) else {
                if testVariables.contains(name) { continue }
                throw ConfigurationError.unknownVariable(name: name, known: variables.map(\.name))
            }
            func bad(_ reason: String? = nil) -> ConfigurationError {
                .invalidValue(name: name, value: value, expected: reason ?? variable.syntax)
            }
            switch name {
            case "GPTOSS_GL_HOME":
                guard !value.isEmpty else { throw bad() }
                c.home = value
            case "GPTOSS_GL_HTTP_LOW_SPEED":
                guard let (limit, seconds) = HTTPOptions.parseLowSpeed(value) else { throw bad() }
                c.httpLowSpeedLimit = limit
                c.httpLowSpeedSeconds = seconds
            case "GPTOSS_GL_EGL_DEVICE":
                guard let index = Int(value), index >= 0 else { throw bad() }
                c.gl.eglDevice = index
            case "GPTOSS_GL_EGL_PLATFORM":
                guard let platform = EGLPlatformChoice(rawValue: value.lowercased()) else { throw bad() }
                c.gl.eglPlatform = platform
            case "GPTOSS_GL_DEBUG": c.gl.debugOutput = try flag(value, bad)
            case "GPTOSS_GL_NO_ERROR": c.gl.noErrorContext = try flag(value, bad)
            case "GPTOSS_GL_FLUSH_EVERY":
                guard let n = Int(value), n >= 0 else { throw bad() }
                c.gl.flushEvery = n == 0 ? nil : n
            case "GPTOSS_GL_UNIFORMS":
                guard let mode = UniformUploadMode(rawValue: value) else { throw bad() }
                c.gl.uniformUpload = mode
            case "GPTOSS_GL_FINISH_BEFORE_UPLOAD": c.gl.finishesBeforeUploads = try flag(value, bad)
            case "GPTOSS_GL_DUMP_PROGRAMS":
                guard !value.isEmpty else { throw bad() }
                c.gl.programDumpDirectory = value
            case "GPTOSS_GL_MAX_IN_FLIGHT":
                guard let n = Int(value), GLOptions.uniformBlocksInFlightRange.contains(n) else { throw bad() }
                c.gl.maxUniformBlocksInFlight = n
            case "GPTOSS_GL_TUNE":
                do { c.tuning = try KernelTuningOverrides(parsing: value) } catch {
                    guard case .invalidArgument(_, let message)? = error as? KernelsError else { throw error }
                    throw bad("\(variable.syntax); \(message)")
                }
            case "GPTOSS_GL_UPLOAD":
                guard let method = WeightUploadMethod(rawValue: value) else { throw bad() }
                c.uploadMethod = method
            case "GPTOSS_GL_CHECK_DISPATCH": c.checksEveryDispatch = try flag(value, bad)
            case "GPTOSS_GL_CHECK_GROUPED": c.verifiesGroupedExperts = try flag(value, bad)
            case "GPTOSS_GL_LAUNCH_BARRIER":
                guard ["storage", "none", "chained"].contains(value) else { throw bad() }
                c.omitsLaunchBarriers = value == "none"
                c.chainsWithoutProbe = value == "chained"
            case "GPTOSS_GL_LOAD_TIMING": c.printsLoadTimings = try flag(value, bad)
            case "GPTOSS_GL_FFMPEG":
                guard !value.isEmpty else { throw bad() }
                c.ffmpeg.explicit = value
            default:
                preconditionFailure("\(name) is listed in RunConfiguration.variables but not parsed")
            }
        }
        return c
    }

    private static func flag(_ value: String, _ bad: (String?) -> ConfigurationError) throws -> Bool {
        switch value {
        case "1": return true
        case "0": return false
        default: throw bad(nil)
        }
    }

    static let prefix = "GPTOSS_GL_"

    /// One variable: its name, the values it takes, and what it does (README.md's table).
    public struct Variable: Sendable, Equatable {
        public let name: String
        public let syntax: String
        public let summary: String
    }

    /// Every variable `parse` knows, in README order.
    public static let variables: [Variable] = [
        Variable(name: "GPTOSS_GL_HOME", syntax: "a folder path", summary: "the checkout, when the binary runs elsewhere"),
        Variable(name: "GPTOSS_GL_HTTP_LOW_SPEED", syntax: "BYTES_PER_S:SECONDS (e.g. 1024:30), or 0 for no limit",
                 summary: "the slowest HTTP transfer accepted for a model read by URL"),
        Variable(name: "GPTOSS_GL_EGL_DEVICE", syntax: "an EGL device index (0, 1, …)", summary: "the EGL device to try first"),
        Variable(name: "GPTOSS_GL_EGL_PLATFORM", syntax: "device|surfaceless|default", summary: "try only this EGL platform"),
        Variable(name: "GPTOSS_GL_DEBUG", syntax: "0|1", summary: "driver messages (GL_KHR_debug) on stderr"),
        Variable(name: "GPTOSS_GL_NO_ERROR", syntax: "0|1", summary: "a context without error checking (measuring)"),
        Variable(name: "GPTOSS_GL_FLUSH_EVERY", syntax: "a count ≥ 0 (0: never)", summary: "glFlush after this many dispatches"),
        Variable(name: "GPTOSS_GL_UNIFORMS", syntax: "orphan|subdata|mapped|cached|persistent", summary: "how uniform blocks are uploaded"),
        Variable(name: "GPTOSS_GL_MAX_IN_FLIGHT", syntax: "64…4096", summary: "uniform blocks queued before the CPU waits"),
        Variable(name: "GPTOSS_GL_FINISH_BEFORE_UPLOAD", syntax: "0|1", summary: "glFinish before every buffer upload (a diagnostic)"),
        Variable(name: "GPTOSS_GL_DUMP_PROGRAMS", syntax: "a folder path",
                 summary: "write every linked program's driver binary and GLSL there (scripts/program_report.py reads them)"),
        Variable(name: "GPTOSS_GL_TUNE", syntax: "NAME=VALUE,… (docs/kernels.md)", summary: "kernel tuning overrides"),
        Variable(name: "GPTOSS_GL_UPLOAD", syntax: "mapped|staged", summary: "how repacked weights reach the GPU"),
        Variable(name: "GPTOSS_GL_CHECK_DISPATCH", syntax: "0|1", summary: "glGetError after every launch"),
        Variable(name: "GPTOSS_GL_CHECK_GROUPED", syntax: "0|1", summary: "recompute grouped MoE passes per slot and compare"),
        Variable(name: "GPTOSS_GL_LAUNCH_BARRIER", syntax: "storage|none|chained", summary: "the barrier after each launch (none, or chained without the probe: unsafe, measuring only)"),
        Variable(name: "GPTOSS_GL_LOAD_TIMING", syntax: "0|1", summary: "where the load's time went, on stderr"),
        Variable(name: "GPTOSS_GL_FFMPEG", syntax: "an executable path", summary: "the ffmpeg that encodes recordings"),
    ]

    /// Variables only the test suite reads (README.md's test table): accepted here, not parsed.
    public static let testVariables: Set<String> = ["GPTOSS_GL_UPDATE_GOLDENS", "GPTOSS_GL_TEST_SEED"]
}

/// A bad `GPTOSS_GL_*` variable.
public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
    case unknownVariable(name: String, known: [String])
    case invalidValue(name: String, value: String, expected: String)

    public var description: String {
        switch self {
        case .unknownVariable(let name, let known):
            return "Unknown environment variable \(name). Hint: the GPTOSS_GL_ variables are \(known.joined(separator: ", ")) "
                + "(README.md, \"Environment\"); unset it or fix its spelling."
        case .invalidValue(let name, let value, let expected):
            return "Environment variable \(name)='\(value)' is not valid: expected \(expected)."
        }
    }
}

extension ConfigurationError: LocalizedError {
    public var errorDescription: String? { description }
}
