import Foundation

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

    public init(promptTokens: Int = 512, genTokens: Int = 128, depths: [Int] = [0], repeats: Int = 3, seed: UInt64 = 1) {
        self.promptTokens = promptTokens
        self.genTokens = genTokens
        self.depths = depths
        self.repeats = repeats
        self.seed = seed
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

/// The measuring loops; the model is reset before every repeat, and the GPU is drained
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
        for _ in 0 ..< settings.repeats {
            model.reset()
            try drain(model)
            seconds.append(try clock {
                try model.prefill(ids, logits: .none)
                try drain(model)
            })
        }
        model.reset()
        return PhaseTiming(tokens: ids.count, seconds: seconds)
    }

    /// Times `settings.genTokens` greedy decode steps after prefilling `depth` tokens (one when 0).
    public static func decode(_ model: GPTOSSModel, depth: Int, _ settings: BenchmarkSettings) throws -> DecodeTiming {
        try checkCapacity(model, settings)
        let context = promptTokens(count: max(depth, 1), vocabularySize: model.config.vocabularySize,
                                   seed: settings.seed &+ UInt64(depth))
        var sampler = try Sampler(.greedy)
        var seconds: [Double] = []
        for _ in 0 ..< settings.repeats {
            model.reset()
            try model.prefill(context, logits: .last)
            var next = sampler.choose(from: try model.summarize(sampler))
            try drain(model)
            seconds.append(try clock {
                for _ in 0 ..< settings.genTokens {
                    next = sampler.choose(from: try model.decode(next, sampler: sampler))
                }
                try drain(model)
            })
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
