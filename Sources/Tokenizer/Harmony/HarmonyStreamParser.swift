/// Why the model's output ended.
public enum HarmonyStopReason: String, Sendable, Equatable {
    /// `<|return|>`: the answer is complete.
    case returned
    /// `<|call|>`: the model called a tool and waits for its answer.
    case toolCall
    /// The token stream ended (e.g. the token limit) without a stop token.
    case endOfStream
}

/// What the parser learned from one token.
public enum HarmonyEvent: Sendable, Equatable {
    /// A message header is complete: role, channel, recipient and content type are known (content is empty).
    case messageStarted(HarmonyMessage)
    /// More text of the current message (whole characters only), with that message's channel
    /// ("final" is what a chat shows; "analysis" is the chain of thought).
    case content(String, channel: String?)
    /// A message is complete.
    case messageFinished(HarmonyMessage)
    /// Generation should stop.
    case stopped(HarmonyStopReason)
    /// The stream broke the format here; the parser says what it did and goes on.
    case malformed(String)
}

/// Parses model output token by token into Harmony messages. Created after the prompt's
/// `<|start|>assistant`, so it begins inside an assistant message's header:
///
///     <|channel|>analysis<|message|>…<|end|><|start|>assistant<|channel|>final<|message|>…<|return|>
///
/// Malformed streams (a stray token between messages, a header that never ends, tokens after a
/// stop) are reported as `.malformed` events and in `issues`; the parser never traps.
public struct HarmonyStreamParser {
    private enum State {
        case expectingStart
        case header(role: String?, tokens: [Int])
        case content
        case stopped
    }

    public let tokenizer: BPETokenizer
    public let control: HarmonyControlTokens
    /// Completed messages, in order.
    public private(set) var messages: [HarmonyMessage] = []
    /// The message being written (header known), if any.
    public private(set) var current: HarmonyMessage?
    /// Every `.malformed` report so far.
    public private(set) var issues: [String] = []
    /// Why the stream stopped, once it has.
    public private(set) var stopReason: HarmonyStopReason?

    private var state: State
    private var decoder: StreamingDecoder
    private var reportedStrayTokens = false

    /// `role`: the role whose header the stream starts in ("assistant" after a completion prompt),
    /// or nil when the stream starts before a `<|start|>`.
    public init(tokenizer: BPETokenizer, role: String? = "assistant") throws {
        self.tokenizer = tokenizer
        self.control = try HarmonyControlTokens(tokenizer: tokenizer)
        self.decoder = StreamingDecoder(tokenizer: tokenizer)
        self.state = role.map { .header(role: $0, tokens: []) } ?? .expectingStart
    }

    /// Feeds one generated token; returns what it completed.
    public mutating func feed(_ id: Int) -> [HarmonyEvent] {
        var events: [HarmonyEvent] = []
        guard id >= 0 && id < tokenizer.vocabularySize else {
            report("token id \(id) is outside the vocabulary; ignored", into: &events)
            return events
        }
        switch state {
        case .stopped:
            if !reportedStrayTokens {
                reportedStrayTokens = true
                report("tokens after the stream stopped are ignored", into: &events)
            }

        case .expectingStart:
            if id == control.start {
                state = .header(role: nil, tokens: [])
                reportedStrayTokens = false
            } else if control.stopTokens.contains(id) {
                stop(id == control.call ? .toolCall : .returned, into: &events)
            } else if !reportedStrayTokens {
                reportedStrayTokens = true
                report("expected <|start|> between messages, got \(describe(id)); skipping to the next <|start|>", into: &events)
            }

        case .header(let role, var tokens):
            if id == control.message {
                let message = parseHeader(role: role, tokens: tokens)
                current = message
                state = .content
                events.append(.messageStarted(message))
            } else if id == control.start {
                report("a header was interrupted by <|start|>; starting over", into: &events)
                state = .header(role: nil, tokens: [])
            } else if id == control.end || control.stopTokens.contains(id) {
                report("\(describe(id)) inside a message header, before <|message|>", into: &events)
                if id == control.end {
                    state = .expectingStart
                } else {
                    stop(id == control.call ? .toolCall : .returned, into: &events)
                }
            } else {
                tokens.append(id)
                state = .header(role: role, tokens: tokens)
            }

        case .content:
            if id == control.end {
                finishMessage(into: &events)
                state = .expectingStart
            } else if control.stopTokens.contains(id) {
                finishMessage(into: &events)
                stop(id == control.call ? .toolCall : .returned, into: &events)
            } else if id == control.start {
                report("<|start|> inside a message: the message is taken as ended", into: &events)
                finishMessage(into: &events)
                state = .header(role: nil, tokens: [])
            } else if tokenizer.isControl(id) {
                report("control token \(describe(id)) inside message content; ignored", into: &events)
            } else {
                // Ids were range-checked above, so the decoder cannot throw here.
                let text = (try? decoder.append(id)) ?? ""
                if !text.isEmpty {
                    current?.content += text
                    events.append(.content(text, channel: current?.channel))
                }
            }
        }
        return events
    }

    /// The stream has ended: completes a message cut off mid-content and reports a cut-off header.
    public mutating func finish() -> [HarmonyEvent] {
        var events: [HarmonyEvent] = []
        switch state {
        case .content:
            finishMessage(into: &events)
        case .header(_, let tokens) where !tokens.isEmpty:
            report("the stream ended inside a message header", into: &events)
        default:
            break
        }
        if stopReason == nil { stop(.endOfStream, into: &events) }
        return events
    }

    // MARK: - Helpers

    private mutating func finishMessage(into events: inout [HarmonyEvent]) {
        let tail = decoder.finish()
        if !tail.isEmpty {
            current?.content += tail
            events.append(.content(tail, channel: current?.channel))
        }
        if let message = current {
            messages.append(message)
            events.append(.messageFinished(message))
        }
        current = nil
    }

    private mutating func stop(_ reason: HarmonyStopReason, into events: inout [HarmonyEvent]) {
        stopReason = reason
        state = .stopped
        events.append(.stopped(reason))
    }

    private mutating func report(_ issue: String, into events: inout [HarmonyEvent]) {
        issues.append(issue)
        events.append(.malformed(issue))
    }

    private func describe(_ id: Int) -> String {
        let text = (try? tokenizer.decode([id])) ?? "?"
        return "token \(id) '\(text)'"
    }

    /// Header text, e.g. "assistant to=functions.f<|channel|>commentary <|constrain|>json":
    /// the role (unless known), `<|channel|>` and the word after it, a `to=` recipient anywhere,
    /// and whatever else remains as the content type.
    func parseHeader(role knownRole: String?, tokens: [Int]) -> HarmonyMessage {
        var text = Substring((try? tokenizer.decode(tokens)) ?? "")
        var role = knownRole
        if role == nil {
            let end = text.firstIndex(where: { $0 == " " || $0 == "<" }) ?? text.endIndex
            role = String(text[..<end])
            text = text[end...]
        }
        var channel: String?
        let marker = "<|channel|>"
        if let range = text.range(of: marker) {
            let after = text[range.upperBound...].drop(while: { $0 == " " })
            let channelEnd = after.firstIndex(where: { $0 == " " || $0 == "<" }) ?? after.endIndex
            channel = String(after[..<channelEnd])
            text = text[..<range.lowerBound] + " " + after[channelEnd...]
        }
        var recipient: String?
        var rest: [Substring] = []
        for word in text.split(separator: " ") {
            if word.hasPrefix("to=") && recipient == nil {
                recipient = String(word.dropFirst(3))
            } else {
                rest.append(word)
            }
        }
        var message = HarmonyMessage(role: role ?? "assistant", channel: channel, recipient: recipient,
                                     contentType: rest.isEmpty ? nil : rest.joined(separator: " "), content: "")
        if !["assistant", "user", "system", "developer", "tool"].contains(message.role) {
            message.name = message.role
            message.role = "tool"
        }
        return message
    }
}
