import Foundation
import Kernels
import Telemetry

/// What to generate: a prompt of token ids, how many tokens at most, how to sample, when to stop.
public struct GenerationRequest: Sendable {
    public var prompt: [Int]
    public var maxTokens: Int
    public var sampling: SamplingParameters
    /// Ids that end generation when sampled (e.g. `<|return|>`, `<|call|>`); the stop token is reported.
    public var stopTokens: Set<Int>

    public init(prompt: [Int], maxTokens: Int, sampling: SamplingParameters = .greedy, stopTokens: Set<Int> = []) {
        self.prompt = prompt; self.maxTokens = maxTokens; self.sampling = sampling; self.stopTokens = stopTokens
    }
}

/// One generated token and what the sampler saw when it was chosen.
public struct GeneratedToken: Sendable, Equatable {
    /// Position of the token in the sequence (prompt included).
    public var position: Int
    public var id: Int
    /// The five most likely tokens and their probabilities (at the reduction temperature).
    public var top: [(id: Int, probability: Float)]
    /// Entropy of the distribution the token was drawn from, in nats.
    public var entropy: Float
    /// Seconds this step took, from queuing to the chosen id.
    public var seconds: Double
    /// A speculative drafter proposed it and the model accepted it.
    public var drafted = false

    public init(position: Int, id: Int, top: [(id: Int, probability: Float)], entropy: Float, seconds: Double) {
        self.position = position; self.id = id; self.top = top; self.entropy = entropy; self.seconds = seconds
    }

    public static func == (a: GeneratedToken, b: GeneratedToken) -> Bool {
        a.position == b.position && a.id == b.id && a.entropy == b.entropy && a.seconds == b.seconds
            && a.top.map(\.id) == b.top.map(\.id) && a.top.map(\.probability) == b.top.map(\.probability)
    }
}

public enum FinishReason: String, Sendable {
    case stopToken = "stop_token"
    case maxTokens = "max_tokens"
    case contextFull = "context_full"
}

/// What a generation reports, in order: prefilled once, a token per step, finished once.
public enum GenerationEvent: Sendable {
    case prefilled(tokens: Int, seconds: Double)
    case token(GeneratedToken)
    case finished(reason: FinishReason, generated: [Int], decodeTokensPerSecond: Double)
}

/// Runs prompt → prefill → decode loop on a `GPTOSSModel`, reporting each step as an event
/// (and as telemetry: stages, tokens with top-5 and entropy, throughput, KV cache use).
///
/// The first token is chosen from the prefill's last logits; every later one costs one decode
/// step. The model is reset first, so each request is a fresh sequence.
public final class Generator {
    public let model: GPTOSSModel
    let telemetry: TelemetryBus?
    /// Turns an id into display text for telemetry (the tokenizer, once wired in); ids by default.
    public var tokenText: (Int) -> String
    /// Says which Harmony channel a generated token belongs to (a chat front end parses the
    /// output and knows); `.other` by default, for token-level runs.
    public var tokenChannel: (Int) -> TokenChannel = { _ in .other }
    /// The attention heatmap's telemetry (one `.attention` event per token, a few KB read back
    /// each step); nil = off. Only used when there is telemetry. See AttentionProbe.swift.
    public var attentionProbe: AttentionProbeOptions?
    /// Speculative decoding (Speculation/): nil decodes one token a step.
    public var speculation: SpeculationOptions?
    /// Drafted and accepted tokens of the last generation (speculative decoding).
    public internal(set) var speculated = (drafted: 0, accepted: 0)
    /// The served sequence this generation is (a completion engine sets it), stamped on the
    /// token and KV cache telemetry; nil for one-shot runs.
    public var sequence: Int?

    public init(model: GPTOSSModel, telemetry: TelemetryBus? = nil, tokenText: @escaping (Int) -> String = { "<\($0)>" }) {
        self.model = model
        self.telemetry = telemetry
        self.tokenText = tokenText
    }

    /// Generates synchronously, calling `onEvent` for each event on the calling thread.
    @discardableResult
    public func generate(_ request: GenerationRequest, onEvent: (GenerationEvent) throws -> Void = { _ in }) throws -> [Int] {
        var sampler = try Sampler(request.sampling)
        try model.traceRouter(telemetry != nil)
        try model.traceAttention(telemetry != nil ? attentionProbe : nil)
        guard request.maxTokens >= 0 else {
            throw GPTOSSError.badSamplingParameter("--max-tokens must be ≥ 0, got \(request.maxTokens)")
        }
        model.reset()

        let prefillStart = Date()
        telemetry?.emit(.stage(StageChange(stage: .prefill, status: .started)))
        try model.prefill(request.prompt, logits: .last)
        var summary = try model.summarize(sampler)
        let prefillSeconds = Date().timeIntervalSince(prefillStart)
        telemetry?.emit(.stage(StageChange(stage: .prefill, status: .completed, durationMs: prefillSeconds * 1000)))
        telemetry?.emit(.throughput(Throughput(stage: .prefill, tokens: request.prompt.count,
                                               tokensPerSecond: Double(request.prompt.count) / max(prefillSeconds, 1e-9))))
        try onEvent(.prefilled(tokens: request.prompt.count, seconds: prefillSeconds))

        var generated: [Int] = []
        let decodeStart = Date()
        telemetry?.emit(.stage(StageChange(stage: .decode, status: .started)))
        /// Takes a chosen token: reports it and says whether generation ends with it.
        func take(_ token: GeneratedToken) throws -> FinishReason? {
            generated.append(token.id)
            emitTelemetry(token)
            try onEvent(.token(token))
            if request.stopTokens.contains(token.id) { return .stopToken }
            if generated.count == request.maxTokens { return .maxTokens }
            if token.position >= model.cache.context { return .contextFull }
            return nil
        }
        var reason = FinishReason.maxTokens
        if request.maxTokens > 0 {
            if let speculation {
                reason = try decodeSpeculatively(request, first: summary, sampler: &sampler, options: speculation,
                                                 start: prefillStart, generated: { generated }, take: take)
            } else {
                var stepStart = prefillStart
                while true {
                    let id = sampler.choose(from: summary)
                    if let end = try take(Self.token(id, at: model.position, summary, since: stepStart)) { reason = end; break }
                    stepStart = Date()
                    summary = try model.decode(id, sampler: sampler)
                }
            }
        }
        let decodeSeconds = Date().timeIntervalSince(decodeStart)
        let rate = generated.count > 1 ? Double(generated.count - 1) / max(decodeSeconds, 1e-9) : 0
        telemetry?.emit(.stage(StageChange(stage: .decode, status: .completed, durationMs: decodeSeconds * 1000)))
        telemetry?.emit(.throughput(Throughput(stage: .decode, tokens: generated.count, tokensPerSecond: rate)))
        try onEvent(.finished(reason: reason, generated: generated, decodeTokensPerSecond: rate))
        return generated
    }

    /// The same as an async stream. The GPU work runs on a dedicated thread: the GL context is
    /// released from the calling thread here and from the worker when the stream ends, so the
    /// caller must not touch the GPU until the stream has finished (its next GL call takes the
    /// context back).
    public func stream(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationEvent, Error> {
        let context = model.kernels.context
        context.releaseCurrent()
        return AsyncThrowingStream { continuation in
            let thread = Thread { [self] in
                // Release the context before the stream ends: a consumer that resumes on
                // `finish` may take the context back at once, and EGL refuses a context that
                // is still current on this thread.
                do {
                    try generate(request) { continuation.yield($0) }
                    context.releaseCurrent()
                    continuation.finish()
                } catch {
                    context.releaseCurrent()
                    continuation.finish(throwing: error)
                }
            }
            thread.start()
        }
    }

    /// A chosen token with what the sampler saw (top-5, entropy) and the step's time.
    static func token(_ id: Int, at position: Int, _ summary: LogitSummary, since start: Date, drafted: Bool = false) -> GeneratedToken {
        var token = GeneratedToken(position: position, id: id,
                                   top: summary.candidates.prefix(5).map { ($0.id, summary.probability(ofLogit: $0.logit)) },
                                   entropy: summary.entropy, seconds: Date().timeIntervalSince(start))
        token.drafted = drafted
        return token
    }

    func emitTelemetry(_ token: GeneratedToken) {
        guard let telemetry else { return }
        telemetry.emit(.token(TokenSample(
            position: token.position, id: token.id, text: tokenText(token.id), channel: tokenChannel(token.id),
            top: token.top.map { TokenCandidate(id: $0.id, text: tokenText($0.id), probability: $0.probability) },
            entropy: token.entropy, drafted: speculation == nil ? nil : token.drafted, sequence: sequence)))
        for (layer, choice) in ((try? model.routerChoices()) ?? []).enumerated() {
            telemetry.emit(.router(RouterChoice(layer: layer, experts: choice.experts, weights: choice.weights)))
        }
        if let attention = try? model.attentionSummary() { telemetry.emit(.attention(attention)) }
        telemetry.emit(.kvCache(KVCacheUse(usedTokens: model.position, capacityTokens: model.cache.context,
                                           bytes: model.cache.byteCount, sequence: sequence)))
    }
}
