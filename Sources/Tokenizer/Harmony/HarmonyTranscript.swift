import Foundation

/// Model output token ids parsed as Harmony and formatted for people or programs
/// (`gptoss-gl detokenize --harmony`).
public enum HarmonyTranscript {
    private struct MessageForm: Encodable {
        var role: String
        var name: String?
        var channel: String?
        var recipient: String?
        var content_type: String?
        var content: String
    }

    private struct JSONForm: Encodable {
        var messages: [MessageForm]
        var stop: String
        var issues: [String]
    }

    /// Plain: one "[channel to=recipient type] content" block per message, then the stop reason
    /// and any problems found. JSON: {"messages", "stop", "issues"}.
    public static func render(ids: [Int], tokenizer: BPETokenizer, json: Bool) throws -> String {
        var parser = try HarmonyStreamParser(tokenizer: tokenizer)
        for id in ids { _ = parser.feed(id) }
        _ = parser.finish()
        let stop = parser.stopReason ?? .endOfStream
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let messages = parser.messages.map {
                MessageForm(role: $0.role, name: $0.name, channel: $0.channel, recipient: $0.recipient,
                            content_type: $0.contentType, content: $0.content)
            }
            return String(decoding: try encoder.encode(JSONForm(messages: messages, stop: stop.rawValue, issues: parser.issues)),
                          as: UTF8.self)
        }
        var lines: [String] = []
        for message in parser.messages {
            var label = [message.role == "tool" ? (message.name ?? "tool") : message.role]
            if let channel = message.channel { label.append(channel) }
            if let recipient = message.recipient { label.append("to=" + recipient) }
            if let type = message.contentType { label.append(type) }
            lines.append("[" + label.joined(separator: " ") + "] " + message.content)
        }
        lines.append("(stopped: \(stop.rawValue))")
        lines += parser.issues.map { "(malformed: \($0))" }
        return lines.joined(separator: "\n")
    }
}
