import ArgumentParser
import Foundation
import GPTOSS
import Telemetry
import Tokenizer

/// `gptoss-gl generate`: answers a prompt (Harmony chat, text on stdout) or continues token ids
/// (one line per token with its top-5), on the GPU, optionally recording the HUD of the run.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Answer a prompt with the model on the GPU (or continue token ids), recording the HUD if asked.",
        discussion: """
        Each step reads back only the sampler's record (argmax, top candidates, entropy), never \
        the logits. With --temperature 0 (the default) decoding is greedy and deterministic; \
        otherwise --top-k/--top-p filter the candidates and --seed fixes the draw.
        """
    )

    @OptionGroup var options: ModelRunOptions

    @OptionGroup var chat: ChatOptions

    @Option(parsing: .unconditional, help: "Comma-separated prompt token ids (token-level mode, instead of --prompt/--conversation).")
    var tokens: String?

    @Option(parsing: .unconditional, help: "Tokens to generate at most.")
    var maxTokens: Int = 32

    @Option(parsing: .unconditional, help: "Sampling temperature; 0 = greedy.")
    var temperature: Double = 0

    @Option(parsing: .unconditional, help: "Keep the k most likely tokens (0 = off; at most 64 are considered).")
    var topK: Int = 0

    @Option(parsing: .unconditional, help: "Keep the most likely tokens up to this probability mass (1 = off).")
    var topP: Double = 1

    @Option(parsing: .unconditional, help: "Seed of the random draw.")
    var seed: UInt64 = 0

    @Option(parsing: .unconditional, help: "Comma-separated ids that stop generation when sampled.")
    var stop: String?

    @OptionGroup var speculation: SpeculativeOptions

    @Option(parsing: .unconditional, help: "Layer of the attention heatmap in --telemetry/--record (default: the last full-attention layer).")
    var attentionLayer: Int?

    func validate() throws {
        if let tokens {
            if chat.isChat { throw ValidationError("Give --tokens or --prompt/--conversation, not both.") }
            _ = try parseTokenList(tokens)
        } else if !chat.isChat {
            throw ValidationError("Say what to answer: --prompt \"…\", --conversation FILE.json, or --tokens 1,2,3.")
        }
        if let stop { _ = try parseTokenList(stop, option: "--stop") }
        if maxTokens < 0 { throw ValidationError("--max-tokens must be 0 or more, got \(maxTokens).") }
        if let attentionLayer, attentionLayer < 0 { throw ValidationError("--attention-layer must be 0 or more, got \(attentionLayer).") }
        // A bad value is a usage error (exit 64), like every other option's.
        do { try SamplingParameters(temperature: temperature, topK: topK, topP: topP, seed: seed).validate() } catch {
            throw ValidationError(describe(error))
        }
    }

    func run() throws {
        try reportingErrors {
            let sampling = SamplingParameters(temperature: temperature, topK: topK, topP: topP, seed: seed)
            let loaded = try options.load(tool: "generate", streamsText: chat.isChat)
            var failure: Error?
            do {
                if chat.isChat {
                    try answer(with: loaded, sampling: sampling)
                } else {
                    try continueTokens(with: loaded, sampling: sampling)
                }
            } catch {
                loaded.telemetry.emit(.error(ErrorReport(message: describe(error), stage: nil)))
                failure = error
            }
            try loaded.finish()
            if let failure { throw failure }
        }
    }

    /// Text mode: a Harmony prompt in, the final channel streamed to stdout.
    private func answer(with loaded: ModelRunOptions.Loaded, sampling: SamplingParameters) throws {
        let tokenizer = try BPETokenizer(gguf: loaded.model.file)
        let turn = ChatTurn(tokenizer: tokenizer, showAnalysis: chat.showAnalysis)
        let generator = try makeGenerator(loaded)
        let outcome = try turn.run(try chat.makeConversation(), generator: generator,
                                   maxTokens: maxTokens, sampling: sampling)
        if outcome.stop == nil, outcome.finish == .maxTokens {
            Terminal.stderr("(stopped at --max-tokens \(maxTokens) before the model finished its answer)\n")
        }
    }

    /// A generator on the run's telemetry; the attention heatmap's probe (a small readback per
    /// token) only when the telemetry is kept or shown: a --telemetry log, a --record or --live run.
    private func makeGenerator(_ loaded: ModelRunOptions.Loaded) throws -> Generator {
        // Checked against the model even when no probe runs, so a layer it lacks is never ignored.
        let probe = AttentionProbeOptions(layer: attentionLayer)
        _ = try probe.resolvedLayer(loaded.model.config)
        let generator = Generator(model: loaded.model, telemetry: loaded.telemetry)
        generator.speculation = try speculation.make(for: loaded.model)
        if options.telemetry != nil || options.record != nil || options.live != nil {
            generator.attentionProbe = probe
        }
        return generator
    }

    /// Token mode: ids in, one line per generated token with its top-5.
    private func continueTokens(with loaded: ModelRunOptions.Loaded, sampling: SamplingParameters) throws {
        let request = GenerationRequest(
            prompt: try parseTokenList(tokens ?? ""), maxTokens: maxTokens, sampling: sampling,
            stopTokens: Set(try stop.map { try parseTokenList($0, option: "--stop") } ?? []))
        try makeGenerator(loaded).generate(request) { event in
            switch event {
            case .prefilled(let count, let seconds):
                print(String(format: "prefill: %d tokens in %.3f s", count, seconds))
            case .token(let t):
                let top = t.top.map { String(format: "%d:%.3f", $0.id, $0.probability) }.joined(separator: " ")
                print(String(format: "%5d  id %6d  entropy %.3f  top5 %@", t.position, t.id, t.entropy, top))
            case .finished(let reason, let generated, let rate):
                print("finished (\(reason.rawValue)): \(generated.count) tokens, "
                      + String(format: "%.2f tok/s decode", rate))
                print("generated: \(generated.map(String.init).joined(separator: ","))")
            }
            fflush(stdout)
        }
    }
}
