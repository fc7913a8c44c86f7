import Foundation
import GGUF

/// Where the CLI (and anyone else) gets a tokenizer: a GGUF model's metadata, or the o200k
/// vocabulary bundled in Assets when there is no model file yet.
public enum TokenizerLoader {
    /// The word that selects the bundled vocabulary instead of a model file.
    public static let bundledName = "o200k"

    /// `model` nil or "o200k": the bundled o200k_harmony vocabulary; otherwise a GGUF path or
    /// http(s) URL whose tokenizer metadata is read (fetched with `fileOptions`). `home`: the
    /// checkout (GPTOSS_GL_HOME).
    public static func load(model: String?, home: String? = nil, fileOptions: GGUFOpenOptions = GGUFOpenOptions()) throws -> BPETokenizer {
        guard let model, model != bundledName else { return try O200kVocabulary.bundled(home: home).makeTokenizer() }
        return try BPETokenizer(gguf: try GGUFFile.open(model, options: fileOptions))
    }
}
