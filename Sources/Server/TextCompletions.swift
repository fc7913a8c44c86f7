import Foundation
import GPTOSS
import Hummingbird
import Tokenizer

/// `POST /v1/completions`: the raw continuation of a prompt (text, or token ids), no chat
/// format. The text ends at `<|return|>`, `<|call|>` or `<|endoftext|>` (not shown), a stop
/// string (trimmed) or the token limit.
extension OpenAIServer {
    func completions(_ request: Request, context: ServerRequestContext) async throws -> Response {
        let body = try RequestFields(try await readJSON(request), place: "")
        let generation = try GenerationFields(body, maxTokensKeys: ["max_tokens"])
        let prompt = try promptIDs(body)
        if try body.bool("echo") == true { throw APIError.invalid("'echo' is not supported.", param: "echo") }
        let watch = try await context.clientWatch()
        let events = try engine.submit(CompletionRequest(
            prompt: prompt, maxTokens: generation.tokenLimit(promptTokens: prompt.count, context: engine.contextPerSequence),
            sampling: generation.sampling, stopTokens: rawStopTokens)).endingWhenClientLeaves(watch)
        let id = "cmpl-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(24)
        let created = Int(Date().timeIntervalSince1970)
        let model = options.modelName
        let stopTokens = rawStopTokens
        let tokenizer = self.tokenizer
        let metrics = self.metrics

        @Sendable func json(_ text: String, finishReason: String?, usage: OrderedJSON?) -> OrderedJSON {
            var members: [OrderedJSON.Member] = [
                .init("id", .string(id)), .init("object", .string("text_completion")), .init("created", .int(created)),
                .init("model", .string(model)),
                .init("choices", .array([.object([.init("text", .string(text)), .init("index", .int(0)), .init("logprobs", .null),
                                                  .init("finish_reason", .optionalString(finishReason))])])),
            ]
            if let usage { members.append(.init("usage", usage)) }
            return .object(members)
        }

        /// Reads the stream; `emit` gets text as it can be shown. Returns the finish reason and the token count.
        @Sendable func consume(_ emit: (String) async throws -> Void) async throws -> (String, Int) {
            var decoder = StreamingDecoder(tokenizer: tokenizer)
            var filter = StopStringFilter(stops: generation.stop)
            var count = 0
            var reason = "length"
            loop: for try await event in events {
                guard case .token(let token) = event else { continue }
                count += 1
                if stopTokens.contains(token.id) { reason = "stop"; break }
                try await emit(filter.push((try? decoder.append(token.id)) ?? ""))
                if filter.matched { reason = "stop"; break loop }
            }
            if !filter.matched { try await emit(filter.push(decoder.finish()) + filter.flush()) }
            return (reason, count)
        }

        guard generation.stream else {
            var text = ""
            let (reason, count): (String, Int)
            do {
                (reason, count) = try await consume { text += $0 }
            } catch let error as ClientGone {
                throw error
            } catch {
                throw APIError.from(error)
            }
            metrics.countTokens(prompt: prompt.count, completion: count)
            return JSONResponse.make(json(text, finishReason: reason, usage: ChatChunks.usage(prompt: prompt.count, completion: count)))
        }
        let includeUsage = generation.includeUsage
        return Response(status: .ok, headers: Self.eventStreamHeaders, body: ResponseBody { writer in
            let result: (String, Int)
            do {
                result = try await consume { text in
                    guard !text.isEmpty else { return }
                    try await writer.write(ServerSentEvents.event(json(text, finishReason: nil, usage: nil)))
                }
            } catch let error where !(error is CancellationError) && (error is CompletionEngineError || error is GPTOSSError) {
                try await writer.write(ServerSentEvents.event(APIError.from(error).json))
                try await writer.write(ServerSentEvents.done)
                try await writer.finish(nil)
                return
            }
            let usage = ChatChunks.usage(prompt: prompt.count, completion: result.1)
            try await writer.write(ServerSentEvents.event(json("", finishReason: result.0, usage: includeUsage ? usage : nil)))
            metrics.countTokens(prompt: prompt.count, completion: result.1)
            try await writer.write(ServerSentEvents.done)
            try await writer.finish(nil)
        })
    }

    /// `prompt`: a string (encoded as plain text), a one-string array, or an array of token ids.
    func promptIDs(_ body: RequestFields) throws -> [Int] {
        guard let value = body.value("prompt") else { throw APIError.invalid("'prompt' is required.", param: "prompt") }
        if let text = value.string ?? (value.array?.count == 1 ? value.array?[0].string : nil) {
            guard !text.isEmpty else { throw APIError.invalid("'prompt' is empty.", param: "prompt") }
            return tokenizer.encode(text)
        }
        guard let items = value.array, !items.isEmpty else {
            throw APIError.invalid("'prompt' must be a non-empty string or an array of token ids.", param: "prompt")
        }
        return try items.enumerated().map { index, item in
            guard let id = item.int, id >= 0, id < tokenizer.vocabularySize else {
                throw APIError.invalid("'prompt[\(index)]' must be a token id in 0..<\(tokenizer.vocabularySize).", param: "prompt")
            }
            return id
        }
    }
}
