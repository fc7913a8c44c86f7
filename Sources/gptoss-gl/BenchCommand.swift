import ArgumentParser
import Foundation
import GLES
import GPTOSS

/// `gptoss-gl bench`: load time and bandwidth, prefill and decode tokens per second (medians of
/// repeats) of one model on this machine's GPU, as a table or JSON.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure load, prefill and decode speed of a model on this GPU.",
        discussion: """
        Prefill runs --prompt-tokens seeded pseudo-random token ids; decode prefills --depth tokens \
        (one when 0) and then times --gen-tokens greedy steps. Each is repeated --repeat times after \
        a reset and the median is reported; the GPU is drained before every clock stops. \
        The KV cache is sized for the largest run unless --context is given.
        """
    )

    @OptionGroup var options: ModelRunOptions

    @Option(parsing: .unconditional, help: "Tokens in the timed prefill.")
    var promptTokens = 512

    @Option(parsing: .unconditional, help: "Greedy decode steps timed at each depth.")
    var genTokens = 128

    @Option(parsing: .unconditionalSingleValue, help: "Tokens already in the cache before the decode steps (repeatable; default 0).")
    var depth: [Int] = []

    @Option(name: .customLong("repeat"), parsing: .unconditional, help: "Repeats of each measurement; the median is reported.")
    var repeats = 3

    @Option(parsing: .unconditional, help: "Seed of the pseudo-random prompt token ids.")
    var seed: UInt64 = 1

    @Flag(help: "Print the results as one JSON object instead of a table.")
    var json = false

    @Flag(help: "Also profile GPU time per kernel (a timestamp after every launch) of --gen-tokens decode steps and one prefill.")
    var profile = false

    @Flag(help: ArgumentHelp("Feed each decode step's token on the GPU (the previous step's argmax) and read nothing back between steps.",
                             discussion: "What decode would gain with no CPU round trip per token; compare with a run without it."))
    var feedOnGpu = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Also decode this many streams together (comma-separated, e.g. 1,4,16,64): each gets a "
                               + "--prompt-tokens prompt and --gen-tokens greedy tokens; reports aggregate tok/s, time to "
                               + "first token and time per output token.", valueName: "N,N,..."))
    var streams: String?

    @OptionGroup var speculation: SpeculativeOptions

    /// The stream counts of `--streams`.
    func streamCounts() throws -> [Int] {
        guard let streams else { return [] }
        let counts = streams.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !counts.isEmpty, counts.allSatisfy({ ($0 ?? 0) >= 1 }) else {
            throw ValidationError("--streams takes positive counts separated by commas, got '\(streams)'.")
        }
        return counts.map { $0! }
    }

    var settings: BenchmarkSettings {
        BenchmarkSettings(promptTokens: promptTokens, genTokens: genTokens, depths: depth.isEmpty ? [0] : depth,
                          repeats: repeats, seed: seed, feedOnGPU: feedOnGpu)
    }

    func validate() throws {
        do { try settings.validate() } catch { throw ValidationError(describe(error)) }
        _ = try streamCounts()
    }

    func run() throws {
        try reportingErrors {
            let settings = self.settings
            var runOptions = options
            let streamCounts = try self.streamCounts()
            if runOptions.context == nil {
                // Streams and speculative generation run a whole prompt and then --gen-tokens more
                // (a verification step reaches up to 16 drafted positions further).
                let whole = settings.promptTokens + settings.genTokens + 1
                runOptions.context = max(settings.requiredContext, streamCounts.isEmpty ? 0 : whole,
                                         speculation.speculative == nil ? 0 : whole + SpeculationOptions.maxDraftTokens)
            }
            var loadedModel: ModelRunOptions.Loaded?
            let loadSeconds = try Benchmark.clock {
                loadedModel = try runOptions.load(tool: "bench", sequences: streamCounts.max() ?? 1, liveDrawsWhenIdle: true)
            }
            let loaded = loadedModel!
            defer { try? loaded.finish() }
            let model = loaded.model
            let context = model.kernels.context
            try Benchmark.checkCapacity(model, settings)
            let memoryAfterLoad = context.memory

            let prefill = try Benchmark.prefill(model, settings)
            let decodes = try settings.depths.map { try Benchmark.decode(model, depth: $0, settings) }
            let profiles = profile ? try Benchmark.profile(model, settings) : []
            let streamRuns = streamCounts.isEmpty ? [] : try Benchmark.streams(model, counts: streamCounts, settings)
            let speculative = try speculation.make(for: model).map {
                try Benchmark.speculation(model, ks: [1, 2, 4, 8], speculation: $0, settings)
            }
            let report = BenchReport(
                card: context.limits.renderer, model: try runOptions.modelLocation(), settings: settings,
                launches: model.kernels.launchOrdering,
                loadSeconds: loadSeconds, weightBytes: model.weights.byteCount,
                gpuBytesAfterLoad: memoryAfterLoad.allocatedBytes, gpuPeakBytes: context.memory.peakBytes,
                kvCachePositions: model.cache.context, prefill: prefill, decode: decodes, profiles: profiles,
                streams: streamRuns, speculation: speculative)
            print(json ? try report.json() : report.table())
        }
    }
}

/// The numbers of one bench run, for the table and `--json`.
struct BenchReport: Encodable {
    let card: String
    let model: String
    let settings: BenchmarkSettings
    /// How dependent launches were ordered (`KernelLibrary.launchOrdering`).
    let launches: String
    /// Wall time of opening the headless context and `GPTOSSModel.load` (parse, upload, kernels, cache).
    let loadSeconds: Double
    let weightBytes: Int
    let gpuBytesAfterLoad: Int
    let gpuPeakBytes: Int
    let kvCachePositions: Int
    let prefill: PhaseTiming
    let decode: [DecodeTiming]
    let profiles: [KernelProfile]
    let streams: [StreamsBenchmark]
    let speculation: SpeculationBenchmark?

    var loadGBPerSecond: Double { Double(weightBytes) / 1e9 / loadSeconds }

    private enum CodingKeys: String, CodingKey {
        case card, model, settings, launches, loadSeconds, weightBytes, loadGBPerSecond, gpuBytesAfterLoad, gpuPeakBytes,
             kvCachePositions, prefill, decode, profiles, streams, speculation
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(card, forKey: .card)
        try c.encode(model, forKey: .model)
        try c.encode(settings, forKey: .settings)
        try c.encode(launches, forKey: .launches)
        try c.encode(loadSeconds, forKey: .loadSeconds)
        try c.encode(weightBytes, forKey: .weightBytes)
        try c.encode(loadGBPerSecond, forKey: .loadGBPerSecond)
        try c.encode(gpuBytesAfterLoad, forKey: .gpuBytesAfterLoad)
        try c.encode(gpuPeakBytes, forKey: .gpuPeakBytes)
        try c.encode(kvCachePositions, forKey: .kvCachePositions)
        try c.encode(PhaseJSON(prefill), forKey: .prefill)
        try c.encode(decode.map { DecodeJSON(depth: $0.depth, timing: PhaseJSON($0.timing)) }, forKey: .decode)
        if !profiles.isEmpty { try c.encode(profiles, forKey: .profiles) }
        if !streams.isEmpty { try c.encode(streams, forKey: .streams) }
        if let speculation { try c.encode(speculation, forKey: .speculation) }
    }

    /// A phase with its derived median rate spelled out for machines.
    private struct PhaseJSON: Encodable {
        let tokens: Int
        let seconds: [Double]
        let medianSeconds: Double
        let tokensPerSecond: Double
        init(_ t: PhaseTiming) {
            tokens = t.tokens
            seconds = t.seconds
            medianSeconds = t.medianSeconds
            tokensPerSecond = t.tokensPerSecond
        }
    }

    private struct DecodeJSON: Encodable {
        let depth: Int
        let timing: PhaseJSON
    }

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    func table() -> String {
        let mib = { (bytes: Int) in String(format: "%.1f MiB", Double(bytes) / 1_048_576) }
        var rows: [(String, String)] = [
            ("card", card),
            ("model", (model as NSString).lastPathComponent),
            ("KV cache", "\(kvCachePositions) positions"),
            ("launches", launches),
            ("load", String(format: "%.3f s, %.2f GB/s of %@ weights", loadSeconds, loadGBPerSecond, mib(weightBytes))),
            ("GPU memory after load", mib(gpuBytesAfterLoad)),
            ("GPU memory peak", mib(gpuPeakBytes)),
            ("prefill \(prefill.tokens) tok", rate(prefill)),
        ]
        for d in decode {
            rows.append(("decode \(d.timing.tokens) tok @ depth \(d.depth)\(settings.feedOnGPU ? ", fed on GPU" : "")", rate(d.timing)))
        }
        for r in streams {
            rows.append(("\(r.streams) stream(s) × \(settings.genTokens) tok", String(
                format: "%.1f tok/s aggregate; first token p50 %.3f s p99 %.3f s; per token p50 %.2f ms p99 %.2f ms",
                r.aggregateDecodeTokensPerSecond, r.timeToFirstToken.p50, r.timeToFirstToken.p99,
                r.timePerOutputToken.p50 * 1000, r.timePerOutputToken.p99 * 1000)
                + (r.divergence.map { String(format: "; stream 0 differs from token %d (margin %.2g there)", $0.token, $0.margin) }
                   ?? "; stream 0 tokens identical")))
        }
        if let s = speculation {
            rows.append(("decode step (1 row)", String(format: "%.3f ms", s.decodeStep.medianSeconds / Double(s.decodeStep.tokens) * 1000)))
            for v in s.verification {
                rows.append(("verify step, \(v.draftTokens) drafts", String(format: "%.3f ms, %.2f× a decode step",
                    v.timing.medianSeconds / Double(v.timing.tokens) * 1000, v.costOverDecodeStep)))
            }
            for g in s.generation {
                rows.append((g.speculative ? "greedy, speculative" : "greedy, plain", rate(g.timing)
                             + (g.speculative ? " — \(g.accepted) of \(g.drafted) drafts accepted" : "")))
            }
        }
        let width = rows.map(\.0.count).max() ?? 0
        let header = "gptoss-gl bench: medians of \(settings.repeats) repeat(s), seed \(settings.seed)"
        return ([header] + rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }
                + profiles.map(profileTable)).joined(separator: "\n")
    }

    /// One phase's kernels, slowest first, per step (a decode step is one token).
    private func profileTable(_ p: KernelProfile) -> String {
        let ms = { (s: Double) in String(format: "%9.3f ms", s * 1000) }
        var lines = ["", "profile: \(p.phase), \(p.steps) step(s), "
                     + (p.gpuTimestamps ? "GPU timestamps" : "CPU clock around glFinish (no GPU timestamps)"),
                     "  wall per step \(ms(p.wallSecondsPerStep)) · CPU queueing per step \(ms(p.enqueueSecondsPerStep))"
                     + " (in GLContext.dispatch \(ms(p.dispatchSecondsPerStep)))"
                     + " · GPU per step \(ms(p.gpuSecondsPerStep)) (with a query per launch)"]
        let width = max(24, p.rows.map(\.kernel.count).max() ?? 0)
        let opWidth = max(9, p.rows.map(\.operation.count).max() ?? 0)
        lines.append("  " + "operation".padding(toLength: opWidth, withPad: " ", startingAt: 0) + "  "
                     + "kernel".padding(toLength: width, withPad: " ", startingAt: 0) + "  launches      GPU/step   share")
        for r in p.rows {
            let share = p.gpuSecondsPerStep > 0 ? 100 * r.secondsPerStep / p.gpuSecondsPerStep : 0
            lines.append("  " + r.operation.padding(toLength: opWidth, withPad: " ", startingAt: 0) + "  "
                         + r.kernel.padding(toLength: width, withPad: " ", startingAt: 0)
                         + String(format: "  %8.1f  ", r.launchesPerStep) + ms(r.secondsPerStep) + String(format: "  %5.1f %%", share))
        }
        return lines.joined(separator: "\n")
    }

    private func rate(_ t: PhaseTiming) -> String {
        String(format: "%.1f tok/s (median %.3f s; runs %@)", t.tokensPerSecond, t.medianSeconds,
               t.seconds.map { String(format: "%.3f", $0) }.joined(separator: ", "))
    }
}
