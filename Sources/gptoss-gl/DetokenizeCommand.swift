import ArgumentParser
import Foundation
import Tokenizer

/// `gptoss-gl detokenize`: token ids → text, or → Harmony messages with --harmony.
struct DetokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detokenize",
        abstract: "Print the text of token ids (control tokens as their names).",
        discussion: """
        --harmony parses the ids as model output after a <|start|>assistant prompt and prints \
        each message with its channel and recipient. Without --model (or with --model o200k) \
        the o200k vocabulary bundled in Assets/tokenizer is used.
        """
    )

    @Option(help: "GGUF model file or URL whose tokenizer to use; 'o200k' or nothing for the bundled vocabulary.")
    var model: String?

    @Option(parsing: .unconditional, help: "Token ids separated by commas or spaces, e.g. 12194,11,2375 or '[12194, 11]'.")
    var ids: String

    @Flag(help: "Print JSON: {\"text\", \"pieces\"} (or the parsed messages with --harmony).")
    var json = false

    @Flag(help: "Parse the ids as Harmony output (messages, channels, stop reason).")
    var harmony = false

    func validate() throws {
        do {
            _ = try TokenListing.parseIDs(ids)
        } catch {
            throw ValidationError(error.localizedDescription)
        }
    }

    func run() throws {
        do {
            let parsed = try TokenListing.parseIDs(ids)
            let tokenizer = try TokenizerLoader.load(model: model, home: RunEnvironment.configuration().home,
                                                        fileOptions: RunEnvironment.configuration().fileOptions)
            if harmony {
                print(try HarmonyTranscript.render(ids: parsed, tokenizer: tokenizer, json: json))
            } else if json {
                print(try TokenListing(tokenizer: tokenizer, ids: parsed).render(json: true, idsOnly: false, includeText: true))
            } else {
                print(try tokenizer.decode(parsed))
            }
        } catch {
            FileHandle.standardError.write(Data("error: \(error.localizedDescription)\n".utf8))
            throw ExitCode(1)
        }
    }
}
