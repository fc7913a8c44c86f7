import ArgumentParser
import Foundation
import GPTOSS

/// `gptoss-gl generate`: token-level generation on the GPU. Prints one line per generated
/// token (id, probability, entropy, top-5) and the ids at the end.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate tokens after a prompt of token ids (greedy unless --temperature > 0).",
        discussion: """
        Each step reads back only the sampler's record (argmax, top candidates, entropy), never \
        the logits. With --temperature 0 (the default) decoding is greedy and deterministic; \
        otherwise --top-k/--top-p filter the candidates and --seed fixes the draw.
        """
    )

    @OptionGroup var options: ModelRunOptions

    @Option(help: "Comma-separated prompt token ids.")
    var tokens: String

    @Option(help: "Tokens to generate at most.")
    var maxTokens: Int = 32

    @Option(help: "Sampling temperature; 0 = greedy.")
    var temperature: Double = 0

    @Option(help: "Keep the k most likely tokens (0 = off; at most 64 are considered).")
    var topK: Int = 0

    @Option(help: "Keep the most likely tokens up to this probability mass (1 = off).")
    var topP: Double = 1

    @Option(help: "Seed of the random draw.")
    var seed: UInt64 = 0

    @Option(help: "Comma-separated ids that stop generation when sampled.")
    var stop: String?

    func validate() throws {
        _ = try parseTokenList(tokens)
        if let stop { _ = try parseTokenList(stop) }
        if maxTokens < 0 { throw ValidationError("--max-tokens must be 0 or more, got \(maxTokens).") }
        try SamplingParameters(temperature: temperature, topK: topK, topP: topP, seed: seed).validate()
    }

    func run() throws {
        try reportingErrors {
            let prompt = try parseTokenList(tokens)
            let (model, telemetry) = try options.load(tool: "generate")
            defer { try? telemetry.finish() }
            let request = GenerationRequest(
                prompt: prompt, maxTokens: maxTokens,
                sampling: SamplingParameters(temperature: temperature, topK: topK, topP: topP, seed: seed),
                stopTokens: Set(try stop.map(parseTokenList) ?? []))
            try Generator(model: model, telemetry: telemetry).generate(request) { event in
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
}
