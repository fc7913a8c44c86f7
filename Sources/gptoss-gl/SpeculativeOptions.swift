import ArgumentParser
import GPTOSS

/// `--speculative ngram|draft=PATH` and `--draft-tokens K`, shared by `generate` and `bench`.
struct SpeculativeOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Speculative decoding: 'ngram' (prompt lookup: drafts what followed the last words "
                               + "earlier in the text) or 'draft=PATH|URL' (a smaller GGUF with the same tokenizer).",
                               valueName: "ngram|draft=PATH"))
    var speculative: String?

    @Option(parsing: .unconditional, help: "Tokens drafted per verification step (1…16; shrinks while drafts are rejected).")
    var draftTokens: Int = 4

    /// What `--speculative` names.
    enum Drafting: Equatable {
        case ngram
        case draft(location: String)
    }

    func validate() throws {
        _ = try drafting()
        guard (1 ... SpeculationOptions.maxDraftTokens).contains(draftTokens) else {
            throw ValidationError("--draft-tokens must be in 1…\(SpeculationOptions.maxDraftTokens), got \(draftTokens).")
        }
    }

    func drafting() throws -> Drafting? {
        guard let speculative else { return nil }
        if speculative == "ngram" { return .ngram }
        if speculative.hasPrefix("draft="), speculative.count > 6 { return .draft(location: String(speculative.dropFirst(6))) }
        throw ValidationError("--speculative takes 'ngram' or 'draft=PATH', got '\(speculative)'.")
    }

    /// The speculation for `model` (a draft model is loaded on its GL context, sharing its kernels).
    func make(for model: GPTOSSModel) throws -> SpeculationOptions? {
        guard let drafting = try drafting() else { return nil }
        let drafter: Drafter
        switch drafting {
        case .ngram:
            drafter = NGramDrafter()
        case .draft(let location):
            let draft = try GPTOSSModel.load(location: location, context: model.kernels.context,
                                             options: ModelOptions(context: model.cache.context, batch: model.batch),
                                             kernels: model.kernels)
            drafter = try DraftModelDrafter(model: draft, target: model)
        }
        return try SpeculationOptions(drafter: drafter, draftTokens: draftTokens)
    }
}
