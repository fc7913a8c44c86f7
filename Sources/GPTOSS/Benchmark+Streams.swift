import Foundation

/// Many sequences decoded together (continuous batching), as `llama-batched-bench` measures it:
/// S streams each with a prompt of `promptTokens` and `genTokens` greedy tokens.
public struct StreamsBenchmark: Codable, Equatable, Sendable {
    public var streams: Int
    /// Generated tokens of all streams per second, from the moment every stream has its first
    /// token to the last token (median of the repeats).
    public var aggregateDecodeTokensPerSecond: Double
    /// Time to first token of each stream, from the start (all admitted at once): p50 / p99 seconds.
    public var timeToFirstToken: Percentiles
    /// Seconds between a stream's consecutive tokens, over all streams: p50 / p99.
    public var timePerOutputToken: Percentiles
    /// Wall seconds of each repeat, start to last token.
    public var seconds: [Double]
    /// Stream 0 has the same prompt at every count: where its greedy tokens first differ from
    /// the first count's run (nil: identical), and the top-1 − top-2 probability margin of the
    /// first run at that token (a near-tie that rounding in the wider step's kernels can flip).
    public var divergence: Divergence?

    public struct Divergence: Codable, Equatable, Sendable {
        public var token: Int
        public var margin: Double
    }

    public struct Percentiles: Codable, Equatable, Sendable {
        public var p50: Double
        public var p99: Double

        init(_ values: [Double]) {
            let sorted = values.sorted()
            func at(_ q: Double) -> Double { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(q * Double(sorted.count - 1) + 0.5))] }
            p50 = at(0.5)
            p99 = at(0.99)
        }
    }
}

extension Benchmark {
    /// For each stream count (at most the model's sequence slots), `settings.repeats` timed runs
    /// after an untimed one; streams get different seeded prompts.
    public static func streams(_ model: GPTOSSModel, counts: [Int], _ settings: BenchmarkSettings) throws -> [StreamsBenchmark] {
        guard let most = counts.max(), most <= model.sequenceSlots, (counts.min() ?? 1) >= 1 else {
            throw GPTOSSError.badSequence("--streams \(counts) needs 1…\(model.sequenceSlots) streams (the model's --parallel)")
        }
        guard settings.promptTokens + settings.genTokens < model.cache.context else {
            throw GPTOSSError.badSequence("a stream needs \(settings.promptTokens + settings.genTokens + 1) positions; "
                                          + "the cache holds \(model.cache.context). Hint: pass --context.")
        }
        // Stream 0 has the same prompt at every count: its greedy tokens should not depend on the
        // company it decodes in (checked on the card, where the tests cannot run).
        var streamZero: [GeneratedToken]?
        return try counts.map { count in
            var rates: [Double] = [], walls: [Double] = [], firsts: [Double] = [], gaps: [Double] = []
            var divergence: StreamsBenchmark.Divergence?
            for run in 0 ... settings.repeats {
                let decoder = try BatchDecoder(model: model)
                for s in 0 ..< count {
                    let prompt = promptTokens(count: settings.promptTokens, vocabularySize: model.config.vocabularySize,
                                              seed: settings.seed &+ UInt64(s) &* 7919)
                    try decoder.admit(sequence: s, GenerationRequest(prompt: prompt, maxTokens: settings.genTokens))
                }
                try model.kernels.context.finish()
                let start = Date()
                var first: [Int: Double] = [:], last: [Int: Double] = [:], runGaps: [Double] = []
                var decodeStart: Double?, tokensAfter = 0, zero: [GeneratedToken] = []
                while !decoder.isIdle {
                    let outputs = try decoder.step()
                    let now = Date().timeIntervalSince(start)
                    for out in outputs where out.token != nil {
                        if out.sequence == 0 { zero.append(out.token!) }
                        if let previous = last[out.sequence] { runGaps.append(now - previous) } else { first[out.sequence] = now }
                        last[out.sequence] = now
                        if decodeStart != nil { tokensAfter += 1 }
                    }
                    if decodeStart == nil, first.count == count { decodeStart = now }
                }
                let end = Date().timeIntervalSince(start)
                if let reference = streamZero, divergence == nil,
                   let i = zip(reference, zero).enumerated().first(where: { $0.element.0.id != $0.element.1.id })?.offset {
                    let top = reference[i].top.map { Double($0.probability) }
                    divergence = .init(token: i, margin: top.count > 1 ? top[0] - top[1] : 1)
                }
                streamZero = streamZero ?? zero
                guard run > 0 else { continue }
                walls.append(end)
                rates.append(Double(tokensAfter) / max(end - (decodeStart ?? 0), 1e-9))
                firsts += first.values
                gaps += runGaps
            }
            let medianRate = rates.sorted()[rates.count / 2]
            return StreamsBenchmark(streams: count, aggregateDecodeTokensPerSecond: medianRate,
                                    timeToFirstToken: .init(firsts), timePerOutputToken: .init(gaps), seconds: walls,
                                    divergence: divergence)
        }
    }
}
