import Foundation
import Kernels

/// A smaller model with the same tokenizer drafts greedily (e.g. a 20b for a 120b): its own
/// weights and KV cache on the same GL context. Its cache follows the sequence: before each
/// proposal it rolls back to what it shares with the accepted text and prefills the rest.
public final class DraftModelDrafter: Drafter {
    public let model: GPTOSSModel
    /// The tokens in the draft model's cache, in order.
    private var fed: [Int] = []
    private let greedy = try! Sampler(.greedy)

    /// `target` is the model whose tokens it drafts: the vocabularies must agree.
    public init(model: GPTOSSModel, target: GPTOSSModel) throws {
        guard model.config.vocabularySize == target.config.vocabularySize else {
            throw GPTOSSError.badSequence("the draft model has \(model.config.vocabularySize) tokens, the model "
                                          + "\(target.config.vocabularySize). Hint: a draft model must share the tokenizer.")
        }
        self.model = model
    }

    public func propose(after tokens: [Int], count: Int) throws -> [(token: Int, distribution: SpeculativeSampling.Distribution)] {
        guard count > 0, tokens.count + count < model.cache.context else { return [] }
        let shared = zip(fed, tokens).prefix { $0 == $1 }.count
        if fed.count - shared > model.batch || shared == 0 {
            model.reset()
            fed = []
        } else {
            try model.rollback(slot: 0, to: shared)
            fed.removeLast(fed.count - shared)
        }
        if fed.count == tokens.count {
            // Everything is in the cache: step back one token to get its logits again.
            try model.rollback(slot: 0, to: fed.count - 1)
            fed.removeLast()
        }
        try model.prefill(Array(tokens[fed.count...]), logits: .last)
        fed = tokens
        var summary = try model.summarize(greedy)
        var drafts: [Int] = []
        while true {
            drafts.append(summary.argmax)
            if drafts.count == count { break }
            summary = try model.decode(summary.argmax, sampler: greedy)
            fed.append(drafts.last!)
        }
        return drafts.map { ($0, [($0, 1.0)]) }
    }

    public func accepted(_ accepted: Int, of proposed: Int) {}
}
