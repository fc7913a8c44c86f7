import ArgumentParser
import Foundation
import GLES
import Kernels

/// `gptoss-gl bench-kernels`: the one-token linear kernel alone on random weights of several
/// sizes, so its cost splits into a fixed part per launch and a part per byte (BENCHMARKS.md).
struct BenchKernelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-kernels",
        abstract: "Time the decode matrix × vector kernel on random weights of several sizes (no model needed).",
        discussion: """
        Each size runs --launches back-to-back launches (a storage barrier after each, as in a \
        forward pass) from a drained GPU to a drained GPU, five times; the median per launch and \
        the weight bytes read per second are printed. GPTOSS_GL_TUNE applies as in bench.
        """
    )

    @Option(help: "Weight format: q8_0, mxfp4 or f32.")
    var format = "q8_0"

    @Option(parsing: .unconditional, help: "Columns of every matrix (a multiple of 32).")
    var cols = 2880

    @Option(parsing: .unconditional, help: "Row counts to time, comma-separated.")
    var rows = "128,512,2048,5120,11520,23040,46080,92160"

    @Option(parsing: .unconditional, help: "Launches per timed sample.")
    var launches = 50

    @Option(help: "The barrier after each launch: storage (as in a forward pass), all, uniform, or none (launch cost alone; the launches then overlap). Only storage keeps a forward pass correct.")
    var barrier = "storage"

    @Option(parsing: .unconditional, help: "Launches over a 92160-row matrix queued before each sample, so the sample runs queued ahead of the GPU; adds a column of GPU-only µs a launch.")
    var leadIn = 0

    @Flag(help: "Check glGetError after every launch (a threaded driver then waits for its worker each time).")
    var checkErrors = false

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    /// The parsed --format, --rows and --barrier (checked in `validate`, so bad values exit 64).
    private func weightFormat() throws -> WeightFormat {
        guard let weightFormat = WeightFormat.allCases.first(where: { "\($0)" == format }) else {
            throw ValidationError("unknown --format '\(format)'; use q8_0, mxfp4 or f32")
        }
        return weightFormat
    }

    private func rowCounts() throws -> [Int] {
        try rows.split(separator: ",", omittingEmptySubsequences: false).map { item -> Int in
            guard let n = Int(item.trimmingCharacters(in: .whitespaces)), n > 0 else {
                throw ValidationError("--rows wants positive integers separated by commas, got '\(item)'")
            }
            return n
        }
    }

    private static let barriers: [String: MemoryBarrier?] = ["storage": .storage, "all": .all, "uniform": .uniform, "none": nil]

    func validate() throws {
        _ = try weightFormat()
        _ = try rowCounts()
        guard Self.barriers[barrier] != nil else {
            throw ValidationError("unknown --barrier '\(barrier)'; use storage, all, uniform or none")
        }
        guard cols > 0, cols % 32 == 0 else { throw ValidationError("--cols must be a positive multiple of 32, got \(cols).") }
        guard launches > 0 else { throw ValidationError("--launches must be at least 1, got \(launches).") }
        guard leadIn >= 0 else { throw ValidationError("--lead-in must be 0 or more, got \(leadIn).") }
    }

    func run() throws {
        try reportingErrors {
            let weightFormat = try weightFormat()
            let rowCounts = try rowCounts()
            let environment = try RunEnvironment.configuration()
            let context = try GLContext.createHeadless(options: environment.gl)
            context.checksErrorsAfterDispatch = checkErrors
            let kernels = try KernelLibrary(context: context, shaders: .located(home: environment.home),
                                            tuning: .forLimits(context.limits, overrides: environment.tuning))
            kernels.launchBarrier = Self.barriers[barrier] ?? .storage
            let timings = try MatvecSweep.run(kernels: kernels, format: weightFormat, cols: cols, rowCounts: rowCounts, launches: launches, leadIn: leadIn)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(timings), as: UTF8.self))
                return
            }
            print("card \(context.limits.renderer) · f32_linear, one token, \(weightFormat), \(cols) columns")
            print("rows        weight MiB   µs/launch   CPU µs/launch      GB/s" + (leadIn > 0 ? "   queued-ahead µs/launch" : ""))
            for t in timings {
                let ahead = t.queuedAheadMicrosecondsPerLaunch.map { String(format: " %24.2f", $0) } ?? ""
                print(String(format: "%-10d %11.2f %11.2f %15.2f %9.1f", t.rows, Double(t.weightBytes) / 1_048_576,
                             t.microsecondsPerLaunch, t.queueMicrosecondsPerLaunch, t.gigabytesPerSecond) + ahead)
            }
        }
    }
}
