import ArgumentParser
import Foundation
import Tokenizer

/// `gptoss-gl tokenize`: text (or a rendered Harmony conversation) → token ids.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the token ids of text, or of a conversation rendered as a Harmony prompt.",
        discussion: """
        Text is ordinary text: "<|start|>" typed in --text is seven ordinary tokens. Only \
        --conversation produces control tokens, through the Harmony renderer, and ends with the \
        generation prompt <|start|>assistant. Without --model (or with --model o200k) the o200k \
        vocabulary bundled in Assets/tokenizer is used.
        """
    )

    @Option(help: "GGUF model file or URL whose tokenizer to use; 'o200k' or nothing for the bundled vocabulary.")
    var model: String?

    @Option(parsing: .unconditional, help: "The text to tokenize.")
    var text: String?

    @Option(help: "Tokenize the contents of this UTF-8 file.")
    var file: String?

    @Option(help: "A conversation JSON file to render as a Harmony prompt (see docs/tokenizer.md).")
    var conversation: String?

    @Flag(help: "Print JSON: {\"count\", \"ids\", \"pieces\"}.")
    var json = false

    @Flag(help: "Print only the comma-separated ids (no pieces).")
    var idsOnly = false

    @Flag(help: "Report timings (vocabulary load, encoding) on stderr.")
    var stats = false

    func validate() throws {
        let inputs = [text != nil, file != nil, conversation != nil].filter { $0 }.count
        guard inputs == 1 else {
            throw ValidationError("give exactly one of --text, --file or --conversation.")
        }
        if json && idsOnly { throw ValidationError("--json and --ids-only exclude each other.") }
    }

    func run() throws {
        do {
            let loadStart = Date()
            let tokenizer = try TokenizerLoader.load(model: model, home: RunEnvironment.configuration().home,
                                                        fileOptions: RunEnvironment.configuration().fileOptions)
            let loadSeconds = Date().timeIntervalSince(loadStart)

            let input = try readInput()
            let encodeStart = Date()
            let encodeStartCPU = Self.cpuSeconds()
            let ids: [Int]
            if let conversation {
                ids = try HarmonyRenderer(tokenizer: tokenizer)
                    .renderForCompletion(try HarmonyConversation(contentsOfFile: conversation))
            } else {
                ids = tokenizer.encode(input)
            }
            let encodeSeconds = Date().timeIntervalSince(encodeStart)
            let encodeCPUSeconds = Self.cpuSeconds() - encodeStartCPU

            print(try TokenListing(tokenizer: tokenizer, ids: ids).render(json: json, idsOnly: idsOnly))
            if stats {
                let bytes = conversation == nil ? input.utf8.count : 0
                let rate = bytes > 0 ? String(format: ", %.1f MB/s", Double(bytes) / encodeSeconds / 1e6) : ""
                FileHandle.standardError.write(Data(String(
                    format: "tokenizer loaded in %.0f ms; %d tokens in %.1f ms (%.1f ms CPU)%@\n",
                    loadSeconds * 1000, ids.count, encodeSeconds * 1000, encodeCPUSeconds * 1000, rate).utf8))
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            FileHandle.standardError.write(Data("error: \(error.localizedDescription)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// CPU time of this process: on a shared machine wall time also counts other people's work.
    private static func cpuSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    private func readInput() throws -> String {
        if let text { return text }
        guard let file else { return "" }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw InputError("cannot read '\(file)'. Hint: check the path and permissions.")
        }
        guard let contents = String(data: data, encoding: .utf8) else {
            throw InputError("'\(file)' is not valid UTF-8 text.")
        }
        return contents
    }
}

/// A problem with the command's input file, reported like the library's errors.
private struct InputError: LocalizedError {
    let errorDescription: String?
    init(_ message: String) { errorDescription = message }
}
