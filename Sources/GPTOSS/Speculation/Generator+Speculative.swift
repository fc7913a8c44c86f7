import Foundation
import Kernels
import Telemetry

/// Speculative decoding: the drafter proposes k tokens, one forward step runs the last token
/// and the k drafts together (logits for every row), `SpeculativeSampling` keeps the longest
/// accepted prefix plus one token of the model's own, and the cache forgets the rest.
extension Generator {
    func decodeSpeculatively(_ request: GenerationRequest, first: LogitSummary, sampler: inout Sampler,
                             options: SpeculationOptions, start: Date, generated: () -> [Int],
                             take: (GeneratedToken) throws -> FinishReason?) throws -> FinishReason {
        var last = sampler.choose(from: first)
        if let end = try take(Self.token(last, at: model.position, first, since: start)) { return end }
        var k = options.draftTokens
        speculated = (0, 0)
        while true {
            let stepStart = Date()
            let position = model.position
            // Room for the drafts: the token budget (one token of the model's own always comes),
            // the context, and the scratch rows.
            let room = min(k, request.maxTokens - generated().count - 1, model.cache.context - position - 1, model.batch - 1)
            let proposal = room > 0 ? try options.drafter.propose(after: request.prompt + generated(), count: room) : []
            if proposal.isEmpty {
                let summary = try model.decode(last, sampler: sampler)
                last = sampler.choose(from: summary)
                if let end = try take(Self.token(last, at: model.position, summary, since: stepStart)) { return end }
                continue
            }
            // Rows: the last token, then the drafts; row i predicts the token after draft i − 1.
            try model.step([SequenceTokens(slot: 0, tokens: [last] + proposal.map(\.token))], logits: .all)
            let summaries = try model.summarize(rows: (0 ... proposal.count).map { ($0, sampler) })
            var draws = sampler
            let (accepted, next) = SpeculativeSampling.verify(
                drafts: proposal.map(\.token), draftDistributions: proposal.map(\.distribution),
                target: summaries.map { sampler.distribution(from: $0) }, uniform: { draws.uniform() })
            sampler = draws
            try model.rollback(slot: 0, to: position + 1 + accepted)
            try options.drafter.accepted(accepted, of: proposal.count)
            speculated = (speculated.drafted + proposal.count, speculated.accepted + accepted)
            telemetry?.emit(.speculation(SpeculationStep(position: position, drafted: proposal.count, accepted: accepted)))
            for i in 0 ..< accepted {
                let token = Self.token(proposal[i].token, at: position + 1 + i, summaries[i], since: stepStart, drafted: true)
                if let end = try take(token) { return end }
            }
            last = next
            if let end = try take(Self.token(next, at: position + 1 + accepted, summaries[accepted], since: stepStart)) { return end }
            if options.adaptive {
                k = accepted == proposal.count ? min(options.draftTokens, k + 1) : max(1, accepted + 1)
            }
        }
    }
}
