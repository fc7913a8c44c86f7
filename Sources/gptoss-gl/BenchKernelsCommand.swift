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

    @Option(help: "Columns of every matrix (a multiple of 32).")
    var cols = 2880

    @Option(help: "Row counts to time, comma-separated.")
    var rows = "128,512,2048,5120,11520,23040,46080,92160"

    @Option(help: "Launches per timed sample.")
    var launches = 50

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        try reportingErrors {
            guard let weightFormat = WeightFormat.allCases.first(where: { "\($0)" == format }) else {
                throw ValidationError("unknown --format '\(format)'; use q8_0, mxfp4 or f32")
            }
            let rowCounts = try rows.split(separator: ",").map { item -> Int in
                guard let n = Int(item.trimmingCharacters(in: .whitespaces)), n > 0 else {
                    throw ValidationError("--rows wants positive integers separated by commas, got '\(item)'")
                }
                return n
            }
            let context = try GLContext.createHeadless()
            let kernels = try KernelLibrary(context: context)
            let timings = try MatvecSweep.run(kernels: kernels, format: weightFormat, cols: cols, rowCounts: rowCounts, launches: launches)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(timings), as: UTF8.self))
                return
            }
            print("card \(context.limits.renderer) · f32_linear, one token, \(weightFormat), \(cols) columns")
            print("rows        weight MiB   µs/launch      GB/s")
            for t in timings {
                print(String(format: "%-10d %11.2f %11.2f %9.1f", t.rows, Double(t.weightBytes) / 1_048_576,
                             t.microsecondsPerLaunch, t.gigabytesPerSecond))
            }
        }
    }
}
