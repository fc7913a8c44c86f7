import Foundation
import GGUF
import GLES
import Kernels
import Telemetry

/// Options for placing a model on the GPU.
public struct ModelOptions: Sendable {
    /// Positions the KV cache holds (prompt + generated tokens); nil = min(model context, 4096).
    public var context: Int?
    /// Tokens a prefill step processes at once (bigger: faster prefill, more scratch memory).
    public var batch: Int
    /// GPU bytes the model may use (weights, KV cache, scratch); nil: no limit. When the model
    /// does not fit, experts are cached in GPU slots per layer (ResidencyPlan, ExpertCache).
    public var gpuMemoryBudget: Int?
    /// Sequences decoded together, each with a KV cache of `context` positions (the server's
    /// `--parallel`); the single-stream commands use one.
    public var sequences: Int
    /// How repacked weights reach the GPU; nil: the device's default (GPTOSS_GL_UPLOAD).
    public var uploadMethod: WeightUploadMethod?
    /// glGetError after every launch instead of once a step, to name the launch that failed
    /// (GPTOSS_GL_CHECK_DISPATCH; slow on threaded drivers).
    public var checksEveryDispatch: Bool
    /// Print where the placement's time went to stderr (GPTOSS_GL_LOAD_TIMING).
    public var printsLoadTimings: Bool
    /// How the file is fetched (HTTP limits for a model read by URL, GPTOSS_GL_HTTP_LOW_SPEED).
    public var fileOptions = GGUFOpenOptions()

    public init(context: Int? = nil, batch: Int = 32, gpuMemoryBudget: Int? = nil, sequences: Int = 1,
                uploadMethod: WeightUploadMethod? = nil, checksEveryDispatch: Bool = false, printsLoadTimings: Bool = false) {
        self.context = context
        self.batch = batch
        self.gpuMemoryBudget = gpuMemoryBudget
        self.sequences = sequences
        self.uploadMethod = uploadMethod
        self.checksEveryDispatch = checksEveryDispatch
        self.printsLoadTimings = printsLoadTimings
    }
}

/// A GPT-OSS model on the GPU: weights, KV cache, scratch buffers and the forward pass.
///
/// Usage: `load`, then `prefill(_:)` the prompt and `decode(_:)` one token at a time (or let a
/// `Generator` do it). Positions advance as tokens go in; `reset()` starts a new sequence.
public final class GPTOSSModel {
    public let config: ModelConfig
    /// The GGUF the weights came from (its metadata also carries the tokenizer).
    public let file: GGUFFile
    public let weights: GPUModelWeights
    public let kernels: KernelLibrary
    /// One KV cache per sequence slot (`ModelOptions.sequences`); the single-stream API uses the first.
    public let caches: [KVCache]
    public var cache: KVCache { caches[0] }
    public let batch: Int
    let buffers: Activations
    let telemetry: TelemetryBus?
    private var reportedOperations = Set<KernelOperation>()
    /// The kernel behind each profile label marked so far (`Benchmark.profile` names its rows by them).
    var profiledKernels: [String: KernelIdentity] = [:]
    /// Set by `traceRouter(_:)`: where the GPU copies each step's router choices.
    private var routerTrace: GPUBuffer?
    /// Set by `traceAttention(_:)` (AttentionProbe.swift): the attention telemetry's GPU probe.
    var attentionProbe: AttentionProbe?
    /// When set, every launch puts a GPU timestamp after itself, labelled by its kernel
    /// (`bench --profile`). Costs a query per launch: leave nil when timing whole steps.
    public var profile: GPUTimeline?
    /// CPU seconds all steps so far spent queueing their launches (nothing waits for the GPU
    /// then); a benchmark takes differences.
    public private(set) var enqueueSeconds = 0.0

    /// Opens, checks and places a model. Stages and every tensor go to `telemetry`; `progress`
    /// sees (bytes read, bytes total) after each tensor.
    /// `kernels` may be shared between models on one context (its compiled programs are reused).
    public static func load(location: String, context: GLContext, options: ModelOptions = ModelOptions(),
                            kernels: KernelLibrary? = nil, telemetry: TelemetryBus? = nil,
                            progress: ((Int, Int) -> Void)? = nil) throws -> GPTOSSModel {
        let file: ModelFile
        if let telemetry {
            file = try telemetry.measure(.ggufParse) { _ in try ModelFile(location: location, options: options.fileOptions) }
            let total = file.table.entries.reduce(0) { $0 + Int(file.file.tensor(named: $1.name)?.byteCount ?? 0) }
            telemetry.emit(.loadPlan(LoadPlan(tensorCount: file.table.entries.count, totalBytes: total,
                                              architecture: ModelConfig.architecture, layers: file.config.blockCount,
                                              experts: file.config.expertCount)))
        } else {
            file = try ModelFile(location: location, options: options.fileOptions)
        }
        return try GPTOSSModel(model: file, context: context, options: options, kernels: kernels, telemetry: telemetry,
                               progress: progress)
    }

    public init(model: ModelFile, context: GLContext, options: ModelOptions = ModelOptions(), kernels shared: KernelLibrary? = nil,
                telemetry: TelemetryBus? = nil, progress: ((Int, Int) -> Void)? = nil) throws {
        let c = model.config
        config = c
        file = model.file
        batch = max(1, options.batch)
        self.telemetry = telemetry
        let positions = options.context ?? min(c.contextLength, 4096)
        guard positions > 0 else { throw GPTOSSError.badSequence("--context must be positive, got \(positions)") }

        // Check the cache and scratch fit before uploading gigabytes of weights.
        let fileBytes = model.table.entries.reduce(0) { $0 + Int(model.file.tensor(named: $1.name)?.byteCount ?? 0) }
        guard options.sequences >= 1 else { throw GPTOSSError.badSequence("--parallel must be at least 1, got \(options.sequences)") }
        guard batch >= options.sequences else {
            throw GPTOSSError.badSequence("a step of \(options.sequences) sequences needs --batch ≥ \(options.sequences), got \(batch)")
        }
        let runtimeBytes = options.sequences * KVCache.byteCount(config: c, context: positions, batch: batch)
            + Activations.byteCount(config: c, batch: batch)
        let residency = try ResidencyPlan(model: model, runtimeBytes: runtimeBytes, budget: options.gpuMemoryBudget)
        let weightBytes = options.gpuMemoryBudget == nil ? fileBytes : residency.weightBytes
        if let memory = context.limits.availableMemoryAtProbe ?? context.limits.maxBufferSize,
           weightBytes + runtimeBytes > memory {
            throw GPTOSSError.contextTooLarge(context: positions, neededBytes: runtimeBytes,
                                              availableBytes: max(0, memory - weightBytes))
        }
        let largestLayer = 4 * c.kvWidth * positions
        if largestLayer > context.limits.maxShaderStorageBlockSize {
            throw GPTOSSError.contextTooLarge(context: positions, neededBytes: largestLayer,
                                              availableBytes: context.limits.maxShaderStorageBlockSize)
        }

        // Fetching and uploading are interleaved tensor by tensor: both stages span the placement.
        telemetry?.emit(.stage(StageChange(stage: .weightsFetch, status: .started)))
        let placementStart = Date()
        weights = try Self.stage(.gpuUpload, telemetry) { bytes in
            do {
                let w = try GPUModelWeights(model: model, context: context, experts: residency.residency,
                                            uploadMethod: options.uploadMethod, printsTimings: options.printsLoadTimings,
                                            telemetry: telemetry, progress: progress)
                bytes = w.byteCount
                return w
            } catch {
                telemetry?.emit(.stage(StageChange(stage: .weightsFetch, status: .failed,
                                                   durationMs: Date().timeIntervalSince(placementStart) * 1000,
                                                   message: (error as? LocalizedError)?.errorDescription ?? "\(error)")))
                throw error
            }
        }
        telemetry?.emit(.stage(StageChange(stage: .weightsFetch, status: .completed, bytes: fileBytes,
                                           durationMs: Date().timeIntervalSince(placementStart) * 1000)))
        let batch = batch
        (kernels, caches, buffers) = try Self.stage(.runtime, telemetry) { bytes in
            let kernels = try shared ?? KernelLibrary(context: context)
            let caches = try (0 ..< options.sequences).map { _ in
                try KVCache(context: context, config: c, context: positions, batch: batch)
            }
            let buffers = try Activations(context: context, config: c, batch: batch, sequences: options.sequences)
            bytes = caches.reduce(0) { $0 + $1.byteCount }
            return (kernels, caches, buffers)
        }
        // glGetError after every launch makes NVIDIA's threaded driver wait for its worker
        // thread hundreds of times a token; `step` checks once instead.
        context.checksErrorsAfterDispatch = options.checksEveryDispatch
        telemetry?.emit(.kvCache(KVCacheUse(usedTokens: 0, capacityTokens: positions * caches.count,
                                            bytes: caches.reduce(0) { $0 + $1.byteCount })))
        telemetry?.emit(.gpuMemory(GPUMemory(inUseBytes: context.memory.allocatedBytes, budgetBytes: context.limits.maxBufferSize,
                                             residentTensors: context.memory.bufferCount)))
    }

    private static func stage<T>(_ stage: LoadStage, _ telemetry: TelemetryBus?, _ body: (inout Int?) throws -> T) throws -> T {
        if let telemetry { return try telemetry.measure(stage, body: body) }
        var bytes: Int?
        return try body(&bytes)
    }

    /// Positions in the cache (the next token's position).
    public var position: Int { cache.length }

    /// Starts a new sequence.
    public func reset() { cache.reset() }

    // MARK: - Steps

    /// Runs `tokens` through the model from the current position, in batches, and returns the
    /// logits rows asked for ([rows][vocab] flattened; empty for `.none`). `dumps` collects the
    /// named intermediates of every token, [tokens][width] each.
    @discardableResult
    public func prefill(_ tokens: [Int], logits rows: LogitRows = .last,
                        dumps wanted: Set<Intermediate> = [], into dumps: inout [Intermediate: [Float]]) throws -> [Float] {
        try check(tokens)
        var out: [Float] = []
        var start = 0
        // Every row's logits go through one binding: steps small enough for it to hold them.
        let stepTokens = rows == .all ? max(1, min(batch, kernels.context.limits.maxShaderStorageBlockSize / (4 * config.vocabularySize)))
                                : batch
        while start < tokens.count {
            let chunk = Array(tokens[start ..< min(start + stepTokens, tokens.count)])
            let isLast = start + chunk.count == tokens.count
            let chunkRows: LogitRows = rows == .all ? .all : (isLast ? rows : .none)
            for (name, values) in try step(chunk, logits: chunkRows, wanted: wanted) { dumps[name, default: []] += values }
            if chunkRows != .none {
                out += try buffers.logits.readFloats(count: (chunkRows == .all ? chunk.count : 1) * config.vocabularySize)
            }
            start += chunk.count
        }
        return out
    }

    @discardableResult
    public func prefill(_ tokens: [Int], logits rows: LogitRows = .last) throws -> [Float] {
        var ignored: [Intermediate: [Float]] = [:]
        return try prefill(tokens, logits: rows, dumps: [], into: &ignored)
    }

    /// One decode step: `token` goes in at the current position; the logits stay on the GPU and
    /// the sampler's reduction of them is read back (a few hundred bytes).
    public func decode(_ token: Int, sampler: Sampler) throws -> LogitSummary {
        try check([token])
        try step([token], logits: .last)
        return try summarize(sampler)
    }

    /// The reduction of the last computed logits row (after `prefill(…, logits: .last)`).
    public func summarize(_ sampler: Sampler) throws -> LogitSummary {
        try reduceLastLogits(sampler)
        return try summary(sampler)
    }

    /// Queues the sampler's reduction of the last computed logits row into the summary buffer.
    private func reduceLastLogits(_ sampler: Sampler) throws {
        let candidates = min(sampler.candidateCount, config.vocabularySize)
        reportMode(try kernels.reduceLogits(LogitReductionArgs(logits: buffers.logits, vocab: config.vocabularySize,
                                                               candidates: candidates, temperature: sampler.reductionTemperature,
                                                               result: buffers.summary)))
    }

    /// Reads back the last queued reduction (waits for it).
    public func summary(_ sampler: Sampler) throws -> LogitSummary {
        let candidates = min(sampler.candidateCount, config.vocabularySize)
        let words = try buffers.summary.readUInt32s(count: LogitSummary.wordCount(candidates: candidates))
        try kernels.checkChainedLaunches()
        let summary = LogitSummary(words: words, candidates: candidates, temperature: sampler.reductionTemperature)
        // NaN logits compare false with everything, so the reduction may find no best id, or
        // (where max() skips NaN) a finite maximum over NaNs: the log-sum-exp and entropy show it.
        guard summary.argmax < config.vocabularySize, summary.maxLogit.isFinite, summary.logSumExp.isFinite,
              summary.entropy.isFinite else {
            throw GPTOSSError.nonFiniteLogits(position: cache.length - 1)
        }
        return summary
    }

    /// The last computed logits row, read back in full (for `logits --decode` and tests only).
    public func lastLogits() throws -> [Float] {
        try buffers.logits.readFloats(count: config.vocabularySize)
    }

    /// Decode steps that also collect intermediates (for `logits --decode --dump`).
    public func decode(_ token: Int, dumps wanted: Set<Intermediate>, into dumps: inout [Intermediate: [Float]]) throws {
        try check([token])
        for (name, values) in try step([token], logits: .last, wanted: wanted) { dumps[name, default: []] += values }
    }

    /// Turns on recording of the router's choices for the last token of every step (a GPU-side
    /// copy of k ids and weights per layer; read back only by `routerChoices()`).
    public func traceRouter(_ on: Bool) throws {
        routerTrace = on ? try kernels.context.makeBuffer(byteCount: 2 * 4 * config.blockCount * config.expertUsedCount,
                                                          label: "router_trace") : nil
    }

    /// The router's choices of the last step's last token, per layer (empty unless traced).
    public func routerChoices() throws -> [(experts: [Int], weights: [Float])] {
        guard let routerTrace else { return [] }
        let k = config.expertUsedCount, layers = config.blockCount
        let words = try routerTrace.readUInt32s(count: 2 * layers * k)
        return (0 ..< layers).map { n in
            (words[n * k ..< (n + 1) * k].map { Int($0) },
             words[(layers + n) * k ..< (layers + n + 1) * k].map { Float(bitPattern: $0) })
        }
    }

    func check(_ tokens: [Int], cache: KVCache? = nil) throws {
        let cache = cache ?? self.cache
        guard !tokens.isEmpty else { throw GPTOSSError.badSequence("no tokens to run. Hint: pass at least one token id.") }
        for t in tokens where !(0 ..< config.vocabularySize).contains(t) {
            throw GPTOSSError.tokenOutOfRange(token: t, vocabularySize: config.vocabularySize)
        }
        guard cache.length + tokens.count <= cache.context else {
            throw GPTOSSError.badSequence("\(cache.length) + \(tokens.count) tokens exceed the context of \(cache.context) positions. "
                                          + "Hint: pass a larger --context.")
        }
    }

    /// A greedy decode step whose token is the argmax of the last reduction (`summarize`,
    /// `decode` or this), copied on the GPU: the step and its reduction are queued and nothing is
    /// read back, so the CPU can queue the next step at once (`bench --feed-on-gpu`). Read the
    /// result with `summary(_:)`.
    public func decodeFedOnGPU(_ sampler: Sampler) throws {
        try check([0])
        try buffers.nextTokenIDs().copy(from: buffers.summary, sourceOffset: 0, to: 0, byteCount: 4)
        try step([0], uploadTokens: false, logits: .last)
        try reduceLastLogits(sampler)
    }

    /// One step of the model's own sequence; returns the wanted intermediates.
    @discardableResult
    private func step(_ tokens: [Int], uploadTokens: Bool = true, logits: LogitRows,
                      wanted: Set<Intermediate> = []) throws -> [Intermediate: [Float]] {
        if uploadTokens { try buffers.nextTokenIDs().upload(tokens.map { UInt32($0) }) }
        return try run(StepShape(cache: cache, tokens: tokens.count, logits: logits, wanted: wanted))
    }

    /// Queues one forward step of `shape` (its token ids already in the scratch's id buffer)
    /// and advances each of its sequences' caches. Returns the intermediates `shape` wants.
    @discardableResult
    func run(_ shape: StepShape) throws -> [Intermediate: [Float]] {
        let enqueueStart = DispatchTime.now().uptimeNanoseconds
        defer { enqueueSeconds += Double(DispatchTime.now().uptimeNanoseconds - enqueueStart) / 1e9 }
        try shape.validate(batch: batch)
        let plan = StepPlan(shape: shape, weights: weights, kernels: kernels, config: config)
        var observers: [StepObserver] = []
        let dumps = shape.wanted.isEmpty ? nil : IntermediateDumps(wanted: shape.wanted, scratch: buffers.dumpScratch)
        if let dumps { observers.append(dumps) }
        if let routerTrace { observers.append(RouterTrace(buffer: routerTrace)) }
        if let attentionProbe { observers.append(attentionProbe) }
        if kernels.verifiesGroupedExperts { observers.append(GroupedMoECheck()) }
        let pass = ForwardPass(config: config, weights: weights, kernels: kernels, buffers: buffers, plan: plan,
                               observers: observers) { [self] r in reportMode(r) }
        try pass.run()
        // Launches skip glGetError (see init); a GL error of any launch is still pending here.
        try kernels.context.checkErrors("the forward step of \(shape.rows) token(s) at position \(shape.sequences[0].position0) "
                                        + "(set GPTOSS_GL_CHECK_DISPATCH=1, ModelOptions.checksEveryDispatch, to find the launch)")
        if let experts = weights.expertCache { telemetry?.emit(.expertCache(ExpertCacheStats(hits: experts.hits, misses: experts.misses))) }
        for s in shape.sequences { s.cache.length += s.tokens }
        return dumps?.captured ?? [:]
    }

    /// Emits a kernel-mode event the first time an operation runs, and marks the profile's
    /// timeline after every launch when profiling.
    func reportMode(_ r: KernelReport) {
        if let profile {
            let identity = r.identity
            profiledKernels[identity.label] = identity
            try? profile.mark(identity.label)
        }
        // Runs after every launch: a set of enum values, no string work unless the op is new.
        guard let telemetry, reportedOperations.insert(r.operation).inserted else { return }
        telemetry.emit(.kernelMode(KernelMode(op: r.operation.rawValue, detail: r.program)))
    }
}
