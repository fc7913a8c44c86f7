import Foundation

/// What speculation can reach on this card and model: the cost of a verification step of k
/// drafted tokens against a plain one-token step, and greedy generation with and without a drafter.
public struct SpeculationBenchmark: Codable, Equatable, Sendable {
    public struct StepCost: Codable, Equatable, Sendable {
        /// Drafted tokens checked by the step (its rows: one more).
        public var draftTokens: Int
        public var timing: PhaseTiming
        /// Seconds of this step over a plain decode step's (the median of each).
        public var costOverDecodeStep: Double
    }

    public struct Generation: Codable, Equatable, Sendable {
        public var speculative: Bool
        public var timing: PhaseTiming
        public var drafted: Int
        public var accepted: Int
    }

    public var decodeStep: PhaseTiming
    public var verification: [StepCost]
    /// Plain and speculative greedy generation of the same request (same tokens: checked).
    public var generation: [Generation]
}

extension Benchmark {
    /// Times `settings.genTokens` verification steps for each k at depth `settings.promptTokens`
    /// (each step rolls back, so every step sees the same depth), then greedy generation of
    /// `settings.genTokens` tokens after a prompt that repeats itself, with and without `speculation`.
    public static func speculation(_ model: GPTOSSModel, ks: [Int], speculation: SpeculationOptions,
                                   _ settings: BenchmarkSettings) throws -> SpeculationBenchmark {
        try checkCapacity(model, settings)
        let prompt = promptTokens(count: settings.promptTokens, vocabularySize: model.config.vocabularySize, seed: settings.seed)
        let sampler = try Sampler(.greedy)
        func steps(rows: Int) throws -> PhaseTiming {
            var seconds: [Double] = []
            for run in 0 ... settings.repeats {
                model.reset()
                try model.prefill(prompt, logits: .none)
                let position = model.position
                try model.kernels.context.finish()
                let elapsed = try clock {
                    for i in 0 ..< settings.genTokens {
                        let ids = (0 ..< rows).map { (prompt[(i + $0) % prompt.count]) }
                        if rows == 1 {
                            _ = try model.decode(ids[0], sampler: sampler)
                        } else {
                            try model.step([SequenceTokens(slot: 0, tokens: ids)], logits: .all)
                            _ = try model.summarize(rows: (0 ..< rows).map { ($0, sampler) })
                        }
                        try model.rollback(slot: 0, to: position)
                    }
                    try model.kernels.context.finish()
                }
                if run > 0 { seconds.append(elapsed) }
            }
            return PhaseTiming(tokens: settings.genTokens, seconds: seconds)
        }
        let decodeStep = try steps(rows: 1)
        let verification = try ks.map { k -> SpeculationBenchmark.StepCost in
            let t = try steps(rows: k + 1)
            return .init(draftTokens: k, timing: t, costOverDecodeStep: t.medianSeconds / max(decodeStep.medianSeconds, 1e-12))
        }

        // A prompt that says the same thing four times: what prompt lookup is for.
        let quarter = Array(prompt.prefix(max(1, settings.promptTokens / 4)))
        let request = GenerationRequest(prompt: quarter + quarter + quarter + quarter, maxTokens: settings.genTokens)
        var generation: [SpeculationBenchmark.Generation] = []
        var plainTokens: [Int]?
        for speculative in [false, true] {
            var seconds: [Double] = []
            var drafted = 0, accepted = 0
            for run in 0 ... settings.repeats {
                let generator = Generator(model: model)
                if speculative { generator.speculation = speculation }
                var tokens: [Int] = []
                let elapsed = try clock { tokens = try generator.generate(request) }
                if let plainTokens, plainTokens != tokens {
                    throw GPTOSSError.badSequence("speculative greedy output differs from plain greedy output")
                }
                plainTokens = plainTokens ?? tokens
                if run > 0 { seconds.append(elapsed) }
                (drafted, accepted) = (generator.speculated.drafted, generator.speculated.accepted)
            }
            generation.append(.init(speculative: speculative, timing: PhaseTiming(tokens: settings.genTokens, seconds: seconds),
                                    drafted: drafted, accepted: accepted))
        }
        model.reset()
        return SpeculationBenchmark(decodeStep: decodeStep, verification: verification, generation: generation)
    }
}
