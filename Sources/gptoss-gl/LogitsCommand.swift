import ArgumentParser
import Foundation
import GLES
import GPTOSS
import HUD
import Telemetry

/// `gptoss-gl logits`: runs token ids through the model on the GPU and writes the logits of
/// every position as a float32 .npy file [n_tokens, n_vocab] (and any dumped intermediates).
struct LogitsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logits",
        abstract: "Write the model's logits for token ids as a float32 .npy [n_tokens, n_vocab].",
        discussion: """
        Prefill runs all tokens at once; --decode feeds them one at a time through the decode path \
        (the KV cache), which must give the same numbers. --dump NAME also writes an intermediate, \
        e.g. blk.3.attn_out, to OUT-stem.NAME.npy as [n_tokens, width].
        """
    )

    @OptionGroup var options: ModelRunOptions

    @Option(help: "Comma-separated token ids, e.g. 12,345,678.")
    var tokens: String

    @Option(help: "Where to write the logits (.npy).")
    var out: String

    @Flag(help: "Feed the tokens one at a time through the decode path instead of one prefill.")
    var decode = false

    @Option(help: "Also write this intermediate (repeatable): inp_embd, blk.N.attn_norm, blk.N.q, blk.N.k, blk.N.v, blk.N.kqv_out, blk.N.attn_out, blk.N.ffn_inp, blk.N.ffn_norm, blk.N.ffn_moe_logits, blk.N.ffn_out, blk.N.l_out, result_norm, result_output.")
    var dump: [String] = []

    func validate() throws {
        _ = try parseTokenList(tokens)
    }

    func run() throws {
        try reportingErrors {
            let ids = try parseTokenList(tokens)
            let loaded = try options.load(tool: "logits")
            let model = loaded.model
            defer { try? loaded.finish() }
            let wanted = try Set(dump.map { try Intermediate(name: $0, layerCount: model.config.blockCount) })
            var dumps: [Intermediate: [Float]] = [:]
            var logits: [Float] = []
            if decode {
                for id in ids {
                    try model.decode(id, dumps: wanted, into: &dumps)
                    logits += try model.lastLogits()
                }
            } else {
                logits = try model.prefill(ids, logits: .all, dumps: wanted, into: &dumps)
            }
            let vocab = model.config.vocabularySize
            try NumpyArray(shape: [ids.count, vocab], values: logits).write(to: out)
            print("wrote \(out): float32 [\(ids.count), \(vocab)] (\(decode ? "decode, one token a step" : "prefill"))")
            // NaN or infinity is written (with the dumps, to find where it starts) but never passes
            // for a result: the command fails once the files are out.
            let firstBadRow = (0 ..< ids.count).first { row in
                logits[row * vocab ..< (row + 1) * vocab].contains { !$0.isFinite }
            }
            if firstBadRow == nil {
                let argmax = (0 ..< ids.count).map { row in
                    (0 ..< vocab).max { logits[row * vocab + $0] < logits[row * vocab + $1] }!
                }
                print("argmax per position: \(argmax.map(String.init).joined(separator: ","))")
            }
            let stem = out.hasSuffix(".npy") ? String(out.dropLast(4)) : out
            for name in dump {
                let intermediate = try Intermediate(name: name, layerCount: model.config.blockCount)
                let values = dumps[intermediate] ?? []
                let path = "\(stem).\(name).npy"
                try NumpyArray(shape: [ids.count, values.count / ids.count], values: values).write(to: path)
                print("wrote \(path): float32 [\(ids.count), \(values.count / ids.count)]")
            }
            if let firstBadRow { throw GPTOSSError.nonFiniteLogits(position: firstBadRow) }
        }
    }
}
