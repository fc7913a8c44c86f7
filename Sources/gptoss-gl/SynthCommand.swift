import ArgumentParser
import Foundation
import GGUF
import Tokenizer

/// `gptoss-gl synth`: writes a GGUF with exactly the GPT-OSS layout and random, well-formed weights.
struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Write a synthetic GPT-OSS GGUF: the real layout, metadata and tokenizer, random well-formed weights.",
        discussion: """
        Presets: 20b and 120b have the released models' shapes (MXFP4 experts, Q8_0 attention, \
        embeddings and head, F32 norms, biases, sinks and router); tiny keeps every structure at toy \
        width (64) with the full 201088-token vocabulary. Quantised blocks get plausible scales and \
        are never all zero. The o200k_harmony tokenizer is built from Assets/tokenizer/o200k_base.tiktoken. \
        The same --seed gives the same file. The file appears only when complete.
        """
    )

    @Option(help: "tiny, 20b or 120b.")
    var preset: String

    @Option(help: "Output .gguf path.")
    var out: String

    @Option(parsing: .unconditional, help: "Random seed.")
    var seed: UInt64 = 0

    @Option(parsing: .unconditional, help: "Override the number of layers (blocks).")
    var layers: Int?

    @Option(parsing: .unconditional, help: "Override the number of experts per layer (e.g. 128 with --preset tiny: 120b's routing at toy width).")
    var experts: Int?

    @Option(parsing: .unconditional, help: "Override the experts each token uses (k).")
    var expertsUsed: Int?

    func validate() throws {
        guard GPTOSSSyntheticSpec.Preset(rawValue: preset) != nil else {
            throw ValidationError("--preset must be one of \(GPTOSSSyntheticSpec.Preset.allCases.map(\.rawValue).joined(separator: ", ")); got '\(preset)'.")
        }
        if let layers, layers < 1 { throw ValidationError("--layers must be at least 1, got \(layers).") }
        if let experts, experts < 1 { throw ValidationError("--experts must be at least 1, got \(experts).") }
        if let expertsUsed, expertsUsed < 1 { throw ValidationError("--experts-used must be at least 1, got \(expertsUsed).") }
    }

    func run() throws {
        var spec = GPTOSSSyntheticSpec.preset(GPTOSSSyntheticSpec.Preset(rawValue: preset)!)
        if let layers { spec.layers = layers }
        if let experts { spec.expertCount = experts }
        if let expertsUsed { spec.expertsUsed = expertsUsed }
        let started = Date()
        do {
            let vocabulary = try O200kVocabulary.bundled(home: RunEnvironment.configuration().home)
            guard vocabulary.tokens.count == spec.vocabularySize else {
                throw GGUFError.writer(detail: "the vocabulary has \(vocabulary.tokens.count) tokens, the layout expects \(spec.vocabularySize)")
            }
            let total = spec.dataBytes
            FileHandle.standardError.write(Data("synth: \(spec.name), \(spec.layers) layers, \(spec.tensors.count) tensors, \(formatGiB(total)) of weights → \(out)\n".utf8))
            try SyntheticModelWriter(spec: spec, seed: seed).write(to: out, extraMetadata: { writer in
                vocabulary.writeTokenizerMetadata(into: writer)
                // Special ids looked up by name in the token list, as a loader would.
                for (key, token) in [("tokenizer.ggml.bos_token_id", "<|startoftext|>"), ("tokenizer.ggml.eos_token_id", "<|return|>"),
                                     ("tokenizer.ggml.padding_token_id", "<|endoftext|>")] {
                    guard let id = vocabulary.tokens.firstIndex(of: token) else {
                        throw GGUFError.writer(detail: "special token \(token) is missing from the vocabulary")
                    }
                    writer.set(key, .uint32(UInt32(id)))
                }
            }, progress: { index, count, written, all in
                let percent = all == 0 ? 100 : Double(written) / Double(all) * 100
                FileHandle.standardError.write(Data(String(format: "\r  %d/%d tensors, %.1f%%", index, count, percent).utf8))
            })
        } catch {
            FileHandle.standardError.write(Data("\nerror: \(error.localizedDescription)\n".utf8))
            throw ExitCode(1)
        }
        let seconds = Date().timeIntervalSince(started)
        let size = (try? FileManager.default.attributesOfItem(atPath: out)[.size] as? NSNumber)?.uint64Value ?? 0
        FileHandle.standardError.write(Data("\n".utf8))
        print("wrote \(out): \(formatGiB(size)) in " + String(format: "%.1f s (%.0f MB/s)", seconds, Double(size) / seconds / 1e6))
    }

    private func formatGiB(_ bytes: UInt64) -> String { String(format: "%.2f GiB", Double(bytes) / Double(1 << 30)) }
}
