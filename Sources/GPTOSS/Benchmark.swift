import Foundation
import GLES

/// What `gptoss-gl bench` measures: prefill of a pseudo-random prompt and greedy decode steps
/// after a prefilled depth, each repeated and summarised by its median (robust to a busy machine).
public struct BenchmarkSettings: Codable, Equatable, Sendable {
    public var promptTokens: Int
    public var genTokens: Int
    /// Cache positions already filled before the timed decode steps (0 = one token, a cold start).
    public var depths: [Int]
    public var repeats: Int
    /// Seed of the prompt's token ids, so runs on different cards see the same input.
    public var seed: UInt64
    /// Decode steps fed on the GPU (`GPTOSSModel.decodeFedOnGPU`): nothing is read back between
    /// steps, so the timing is what a decode with no CPU round trip per token would reach.
    public var feedOnGPU: Bool

    public init(promptTokens: Int = 512, genTokens: Int = 128, depths: [Int] = [0], repeats: Int = 3, seed: UInt64 = 1,
                feedOnGPU: Bool = false) {
        self.promptTokens = promptTokens
        self.genTokens = genTokens
        self.depths = depths
        self.repeats = repeats
        self.seed = seed
        self.feedOnGPU = feedOnGPU
    }

    /// Tokens the KV cache must hold: the prompt, or the deepest decode run plus its steps, plus one.
    public var requiredContext: Int {
        let deepest = (depths.max() ?? 0)
        return max(promptTokens, max(deepest, 1) + genTokens) + 1
    }

    public func validate() throws {
        if promptTokens < 1 { throw GPTOSSError.badSequence("--prompt-tokens must be at least 1, got \(promptTokens).") }
        if genTokens < 1 { throw GPTOSSError.badSequence("--gen-tokens must be at least 1, got \(genTokens).") }
        if repeats < 1 { throw GPTOSSError.badSequence("--repeat must be at least 1, got \(repeats).") }
        if let bad = depths.first(where: { $0 < 0 }) {
            throw GPTOSSError.badSequence("--depth must be 0 or more, got \(bad).")
        }
    }
}

/// Timings of one repeated phase: seconds of each repeat and the median rate.
public struct PhaseTiming: Codable, Equatable, Sendable {
    /// Tokens timed in each repeat.
    public var tokens: Int
    public var seconds: [Double]

    public var medianSeconds: Double {
        let sorted = seconds.sorted()
        guard !sorted.isEmpty else { return 0 }
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }

    /// Tokens per second of the median repeat.
    public var tokensPerSecond: Double { medianSeconds > 0 ? Double(tokens) / medianSeconds : 0 }
}

/// Decode timing at one cache depth.
public struct DecodeTiming: Codable, Equatable, Sendable {
    public var depth: Int
    public var timing: PhaseTiming
}

/// The measuring loops; each phase runs once untimed first (compiling its programs), the model
/// is reset before every repeat, and the GPU is drained
/// (`finish`) before each clock stops so queued work is not counted as done.
public enum Benchmark {
    /// `count` token ids in 0..<vocabularySize from a fixed seed.
    public static func promptTokens(count: Int, vocabularySize: Int, seed: UInt64) -> [Int] {
        var generator = SeededGenerator(seed: seed)
        return (0 ..< count).map { _ in Int.random(in: 0 ..< vocabularySize, using: &generator) }
    }

    /// Fails with a clear message when the model's KV cache cannot hold what `settings` will run.
    public static func checkCapacity(_ model: GPTOSSModel, _ settings: BenchmarkSettings) throws {
        let needed = settings.requiredContext
        guard model.cache.context >= needed else {
            throw GPTOSSError.badSequence(
                "the KV cache holds \(model.cache.context) positions but this benchmark needs \(needed) "
                + "(max(prompt tokens, deepest --depth + --gen-tokens) + 1). Hint: pass --context \(needed) "
                + "or smaller --depth/--prompt-tokens/--gen-tokens.")
        }
    }

    /// Times prefill of `settings.promptTokens` seeded ids, `settings.repeats` times.
    public static func prefill(_ model: GPTOSSModel, _ settings: BenchmarkSettings) throws -> PhaseTiming {
        try checkCapacity(model, settings)
        let ids = promptTokens(count: settings.promptTokens, vocabularySize: model.config.vocabularySize, seed: settings.seed)
        var seconds: [Double] = []
        // One untimed run first: it compiles the programs a prefill of this size uses.
        for run in 0 ... settings.repeats {
            model.reset()
            try drain(model)
            let elapsed = try clock {
                try model.prefill(ids, logits: .none)
                try drain(model)
            }
            if run > 0 { seconds.append(elapsed) }
        }
        model.reset()
        return PhaseTiming(tokens: ids.count, seconds: seconds)
    }

    /// Times `settings.genTokens` greedy decode steps after prefilling `depth` tokens (one when 0).
    /// With `feedOnGPU` each step takes the previous step's argmax on the GPU and only the last
    /// step's reduction is read back (after the clock's drain has the GPU idle anyway).
    public static func decode(_ model: GPTOSSModel, depth: Int, _ settings: BenchmarkSettings) throws -> DecodeTiming {
        try checkCapacity(model, settings)
        let context = promptTokens(count: max(depth, 1), vocabularySize: model.config.vocabularySize,
                                   seed: settings.seed &+ UInt64(depth))
        var sampler = try Sampler(.greedy)
        var seconds: [Double] = []
        // One untimed run first (program compilation, driver warm-up).
        for run in 0 ... settings.repeats {
            model.reset()
            try model.prefill(context, logits: .last)
            var next = sampler.choose(from: try model.summarize(sampler))
            try drain(model)
            let elapsed = try clock {
                for _ in 0 ..< settings.genTokens {
                    if settings.feedOnGPU {
                        try model.decodeFedOnGPU(sampler)
                    } else {
                        next = sampler.choose(from: try model.decode(next, sampler: sampler))
                    }
                }
                try drain(model)
            }
            if settings.feedOnGPU { next = sampler.choose(from: try model.summary(sampler)) }
            if run > 0 { seconds.append(elapsed) }
        }
        model.reset()
        return DecodeTiming(depth: depth, timing: PhaseTiming(tokens: settings.genTokens, seconds: seconds))
    }

    /// Wall-clock seconds of `body`.
    public static func clock(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    private static func drain(_ model: GPTOSSModel) throws {
        try model.kernels.context.finish()
    }
}

/// GPU time per kernel of one phase, from a `GPUTimeline` mark after every launch.
public struct KernelProfile: Codable, Equatable, Sendable {
    public struct Row: Codable, Equatable, Sendable {
        /// The operation (`KernelOperation`'s raw value, e.g. `matmul`).
        public var operation: String
        /// The kernel's shader, e.g. `f32_linear`.
        public var shader: String
        /// The weight format it read (`q8_0`, `mxfp4`, …), nil for kernels that read none.
        public var format: String?
        /// Launches per step.
        public var launchesPerStep: Double
        /// GPU seconds per step.
        public var secondsPerStep: Double

        /// The shader and its format, e.g. `f32_linear mxfp4`.
        public var kernel: String { format.map { "\(shader) \($0)" } ?? shader }
    }

    public var phase: String
    public var steps: Int
    public var tokensPerStep: Int
    public var rows: [Row]
    /// GPU seconds per step, all kernels.
    public var gpuSecondsPerStep: Double
    /// CPU seconds per step spent queueing launches (measured without the profile's queries).
    public var enqueueSecondsPerStep: Double
    /// Of the queueing time, CPU seconds per step inside `GLContext.dispatch` (argument checks,
    /// bindings, uniforms and the GL calls); the rest is the launchers' own work.
    public var dispatchSecondsPerStep: Double
    /// Wall seconds per step (measured without the profile's queries).
    public var wallSecondsPerStep: Double
    /// True when the times are GPU timestamps; false: CPU clock around glFinish per launch.
    public var gpuTimestamps: Bool
}

extension Benchmark {
    /// Profiles `settings.genTokens` decode steps at depth 0 and one prefill of
    /// `settings.promptTokens`: first timed plainly (wall and enqueue time), then again with a
    /// timestamp after every launch.
    public static func profile(_ model: GPTOSSModel, _ settings: BenchmarkSettings) throws -> [KernelProfile] {
        try checkCapacity(model, settings)
        let context = model.kernels.context
        let sampler = try Sampler(.greedy)
        var greedy = sampler

        func decodeSteps() throws -> (wall: Double, enqueue: Double, dispatch: Double) {
            model.reset()
            try model.prefill([1], logits: .last)
            var next = greedy.choose(from: try model.summarize(sampler))
            try drain(model)
            let enqueueBefore = model.enqueueSeconds
            let dispatchBefore = context.dispatchNanoseconds
            let wall = try clock {
                for _ in 0 ..< settings.genTokens {
                    next = greedy.choose(from: try model.decode(next, sampler: sampler))
                }
                try drain(model)
            }
            return (wall, model.enqueueSeconds - enqueueBefore, Double(context.dispatchNanoseconds - dispatchBefore) / 1e9)
        }

        _ = try decodeSteps()  // warm-up: compiles every program
        let plainDecode = try decodeSteps()
        let ids = promptTokens(count: settings.promptTokens, vocabularySize: model.config.vocabularySize, seed: settings.seed)
        model.reset()
        try drain(model)
        let prefillEnqueueBefore = model.enqueueSeconds
        let prefillDispatchBefore = context.dispatchNanoseconds
        let prefillWall = try clock {
            try model.prefill(ids, logits: .none)
            try drain(model)
        }
        let prefillEnqueue = model.enqueueSeconds - prefillEnqueueBefore
        let prefillDispatch = Double(context.dispatchNanoseconds - prefillDispatchBefore) / 1e9

        let timeline = try GPUTimeline(context: context)
        model.profile = timeline
        defer { model.profile = nil }
        var profiles: [KernelProfile] = []
        func collect(_ phase: String, steps: Int, tokensPerStep: Int, enqueue: Double, dispatch: Double, wall: Double) {
            let rows = timeline.order.map { label -> KernelProfile.Row in
                let t = timeline.totals[label]!
                // Every label was marked from a report's typed identity (GPTOSSModel.reportMode).
                let identity = model.profiledKernels[label]!
                return KernelProfile.Row(operation: identity.operation.rawValue, shader: identity.kernel.shader,
                                         format: identity.format.map { "\($0)" }, launchesPerStep: Double(t.count) / Double(steps),
                                         secondsPerStep: t.seconds / Double(steps))
            }.sorted { $0.secondsPerStep > $1.secondsPerStep }
            profiles.append(KernelProfile(phase: phase, steps: steps, tokensPerStep: tokensPerStep, rows: rows,
                                          gpuSecondsPerStep: rows.reduce(0) { $0 + $1.secondsPerStep },
                                          enqueueSecondsPerStep: enqueue / Double(steps),
                                          dispatchSecondsPerStep: dispatch / Double(steps), wallSecondsPerStep: wall / Double(steps),
                                          gpuTimestamps: timeline.usesGPUTimestamps))
            timeline.reset()
        }

        model.reset()
        try model.prefill([1], logits: .last)
        var next = greedy.choose(from: try model.summarize(sampler))
        try drain(model)
        try timeline.begin()
        for _ in 0 ..< settings.genTokens {
            next = greedy.choose(from: try model.decode(next, sampler: sampler))
            try timeline.resolve()
        }
        collect("decode @ depth 0", steps: settings.genTokens, tokensPerStep: 1,
                enqueue: plainDecode.enqueue, dispatch: plainDecode.dispatch, wall: plainDecode.wall)

        model.reset()
        try drain(model)
        try timeline.begin()
        try model.prefill(ids, logits: .none)
        try timeline.resolve()
        collect("prefill \(ids.count) tokens", steps: 1, tokensPerStep: ids.count, enqueue: prefillEnqueue, dispatch: prefillDispatch,
                wall: prefillWall)
        model.reset()
        return profiles
    }
}
