import Foundation
import GLES

/// One size of a decode matrix × vector sweep: the median time of one launch of `linear`
/// (barrier included, as in a forward pass) and the weight bytes it read per second.
public struct MatvecTiming: Codable, Equatable, Sendable {
    public var format: String
    public var rows: Int
    public var cols: Int
    /// Bytes of both weight planes (what one launch must read).
    public var weightBytes: Int
    public var microsecondsPerLaunch: Double
    /// CPU µs a launch took to queue (the same samples' median): near `microsecondsPerLaunch`,
    /// the CPU side (caller plus driver) is what limits the launch rate.
    public var queueMicrosecondsPerLaunch: Double
    /// With a lead-in: GPU µs a launch took when the whole sample was already queued behind
    /// the lead-in (sample time minus the lead-in's own time), so the CPU cannot starve it.
    public var queuedAheadMicrosecondsPerLaunch: Double?
    public var gigabytesPerSecond: Double { Double(weightBytes) / (microsecondsPerLaunch * 1e3) }
}

/// Times the one-token `linear` kernel alone on weights of several sizes, to split its cost
/// into a fixed part per launch and a part per byte: the question a decode profile cannot
/// answer, since every layer's matrices have the same few sizes. The weights are random
/// words with small fixed block scales (the values do not matter to the timing, but they stay
/// finite); nothing is read back.
public enum MatvecSweep {
    /// `launches` back-to-back launches per size after one warm-up (which compiles the
    /// program); the clock runs from a drained GPU to a drained GPU, `samples` times, median kept.
    public static func run(kernels: KernelLibrary, format: WeightFormat, cols: Int, rowCounts: [Int],
                           launches: Int = 50, samples: Int = 5, leadIn: Int = 0) throws -> [MatvecTiming] {
        guard format == .q8_0 || format == .mxfp4 || format == .f32 else {
            throw KernelsError.invalidArgument(kernel: "MatvecSweep", message: "format \(format) is not swept; use q8_0, mxfp4 or f32")
        }
        guard launches > 0, samples > 0, rowCounts.allSatisfy({ $0 > 0 }) else {
            throw KernelsError.invalidArgument(kernel: "MatvecSweep", message: "launches, samples and row counts must be positive")
        }
        let context = kernels.context
        let x = try context.makeBuffer(array: (0 ..< cols).map { Float(($0 % 7) - 3) * 0.01 }, label: "sweep.x")
        // The lead-in: launches over a large matrix queued first, long enough on the GPU for the
        // CPU to queue the whole sample behind them.
        var leadInArgs: LinearArgs?
        var leadInSeconds = 0.0
        if leadIn > 0 {
            let rows = 92160
            let weights = try randomWeights(context: context, format: format, rows: rows, cols: cols)
            let y = try context.makeBuffer(byteCount: rows * 4, label: "sweep.leadin.y")
            let args = LinearArgs(weights: weights, bias: nil, input: x, output: y, tokens: 1)
            leadInArgs = args
            try kernels.linear(args)
            try context.finish()
            leadInSeconds = try median(samples, context) {
                for _ in 0 ..< leadIn { try kernels.linear(args) }
            }
        }
        var timings: [MatvecTiming] = []
        for rows in rowCounts {
            let weights = try randomWeights(context: context, format: format, rows: rows, cols: cols)
            let y = try context.makeBuffer(byteCount: rows * 4, label: "sweep.y")
            let args = LinearArgs(weights: weights, bias: nil, input: x, output: y, tokens: 1)
            try kernels.linear(args)
            try context.finish()
            var seconds: [Double] = []
            var queueSeconds: [Double] = []
            for _ in 0 ..< samples {
                let start = DispatchTime.now().uptimeNanoseconds
                for _ in 0 ..< launches { try kernels.linear(args) }
                queueSeconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                try context.finish()
                seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            try context.checkErrors("the matvec sweep at \(rows) × \(cols)")
            var queuedAhead: Double?
            if let leadInArgs {
                let total = try median(samples, context) {
                    for _ in 0 ..< leadIn { try kernels.linear(leadInArgs) }
                    for _ in 0 ..< launches { try kernels.linear(args) }
                }
                queuedAhead = (total - leadInSeconds) / Double(launches) * 1e6
            }
            let median = seconds.sorted()[seconds.count / 2]
            let queueMedian = queueSeconds.sorted()[queueSeconds.count / 2]
            timings.append(MatvecTiming(format: "\(format)", rows: rows, cols: cols, weightBytes: weights.byteCount,
                                        microsecondsPerLaunch: median / Double(launches) * 1e6,
                                        queueMicrosecondsPerLaunch: queueMedian / Double(launches) * 1e6,
                                        queuedAheadMicrosecondsPerLaunch: queuedAhead))
        }
        return timings
    }

    /// Median seconds of `samples` runs of `queue`, each timed from a drained GPU to a drained GPU.
    static func median(_ samples: Int, _ context: GLContext, _ queue: () throws -> Void) throws -> Double {
        var seconds: [Double] = []
        for _ in 0 ..< samples {
            let start = DispatchTime.now().uptimeNanoseconds
            try queue()
            try context.finish()
            seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return seconds.sorted()[seconds.count / 2]
    }

    /// A rows × cols matrix in `format` filled on the CPU: random quants, every block scale the
    /// same small value (Q8_0: f16 2^-7; MXFP4: E8M0 2^-7), random small floats for F32.
    static func randomWeights(context: GLContext, format: WeightFormat, rows: Int, cols: Int) throws -> GPUWeights {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt32 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt32(truncatingIfNeeded: state >> 29)
        }
        let scaleWord: UInt32 = format == .q8_0 ? 0x2000_2000 : 0x7878_7878
        return try GPUWeights(context: context, format: format, rows: rows, cols: cols, label: "sweep.\(format).\(rows)x\(cols)") {
            range, scales, data in
            let scaleWords = format.scaleWordsPerRow(cols: cols) * range.count
            let dataWords = format.dataVec4PerRow(cols: cols) * 4 * range.count
            if let scales {
                let s = scales.bindMemory(to: UInt32.self, capacity: scaleWords)
                for i in 0 ..< scaleWords { s[i] = scaleWord }
            }
            let d = data.bindMemory(to: UInt32.self, capacity: dataWords)
            for i in 0 ..< dataWords {
                d[i] = format == .f32 ? (Float(Int(next() % 200) - 100) * 0.001).bitPattern : next()
            }
        }
    }
}
