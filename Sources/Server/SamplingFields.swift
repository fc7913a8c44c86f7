import GPTOSS
import Tokenizer

/// The fields chat and text completions share: limits, sampling, stop strings, streaming.
struct GenerationFields {
    /// nil: as many as the context leaves.
    var maxTokens: Int?
    var sampling: SamplingParameters
    var stop: [String]
    var stream: Bool
    var includeUsage: Bool

    /// At most this many stop strings (OpenAI's limit).
    static let maxStopStrings = 4

    init(_ body: RequestFields, maxTokensKeys: [String]) throws {
        maxTokens = nil
        for key in maxTokensKeys {
            if let value = try body.int(key, atLeast: 1) { maxTokens = value }
        }
        // OpenAI's defaults: temperature 1, top_p 1. A request without a seed gets a fresh one.
        let temperature = try body.double("temperature", in: 0 ... 2) ?? 1
        let topP = try body.double("top_p", in: 0 ... 1) ?? 1
        guard topP > 0 else { throw APIError.invalid("'top_p' must be greater than 0.", param: "top_p") }
        let seed: UInt64
        if let value = body.value("seed") {
            guard let number = value.int else { throw body.wrongType("seed", "an integer", value) }
            seed = UInt64(bitPattern: Int64(number))
        } else {
            seed = UInt64.random(in: 0 ... UInt64.max)
        }
        sampling = SamplingParameters(temperature: temperature, topK: 0, topP: topP, seed: seed)
        if let n = try body.int("n", atLeast: 1), n != 1 {
            throw APIError.invalid("'n' must be 1: the server returns one choice per request.", param: "n")
        }

        switch body.value("stop") {
        case nil: stop = []
        case .string(let text)?: stop = [text]
        case .array(let items)?:
            stop = try items.enumerated().map { index, item in
                guard let text = item.string else { throw APIError.invalid("'stop[\(index)]' must be a string.", param: "stop") }
                return text
            }
        case let other?: throw body.wrongType("stop", "a string or an array of strings", other)
        }
        guard stop.count <= Self.maxStopStrings else {
            throw APIError.invalid("'stop' has \(stop.count) strings; at most \(Self.maxStopStrings) are allowed.", param: "stop")
        }
        if stop.contains("") { throw APIError.invalid("'stop' strings must not be empty.", param: "stop") }

        stream = try body.bool("stream") ?? false
        includeUsage = try body.object("stream_options")?.bool("include_usage") ?? false
    }

    /// The token limit for a prompt of `promptTokens` in a sequence of `context` positions.
    func tokenLimit(promptTokens: Int, context: Int) -> Int {
        let room = max(1, context - promptTokens)
        return min(maxTokens ?? room, room)
    }
}
