import ArgumentParser

/// The root command: one subcommand per file in this folder; the work lives in the libraries.
@main
struct GptossGL: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gptoss-gl",
        abstract: "Run GPT-OSS models from GGUF on the GPU through headless GLES compute.",
        subcommands: [
            // One line per subcommand; keep this list sorted.
            BenchCommand.self,
            BenchKernelsCommand.self,
            DetokenizeCommand.self,
            GenerateCommand.self,
            InspectCommand.self,
            LogitsCommand.self,
            ProbeCommand.self,
            RenderFramesCommand.self,
            ServeCommand.self,
            ServerCommand.self,
            SynthCommand.self,
            TokenizeCommand.self,
            TranslateCommand.self,
        ]
    )

    /// Refuses an argument that is not UTF-8 (exit 64, like any bad option) before the parser,
    /// which only sees the arguments after Swift replaced bad bytes with U+FFFD.
    static func main() {
        if let problem = ArgumentBytes.firstInvalidUTF8(in: ArgumentBytes.current()) {
            exit(withError: ValidationError(problem))
        }
        main(nil)
    }
}
