import Foundation

/// How hard the model should think; rendered into the system message.
public enum ReasoningEffort: String, Sendable, CaseIterable {
    case low, medium, high
}

/// The system message's settings. Every field has the default gpt-oss.md §7 gives.
public struct HarmonySystem: Sendable, Equatable {
    public var identity: String
    public var knowledgeCutoff: String
    /// "YYYY-MM-DD", or nil for no "Current date" line.
    public var date: String?
    public var reasoning: ReasoningEffort

    public static let defaultIdentity = "You are ChatGPT, a large language model trained by OpenAI."
    public static let defaultKnowledgeCutoff = "2024-06"

    public init(identity: String = defaultIdentity, knowledgeCutoff: String = defaultKnowledgeCutoff,
                date: String? = nil, reasoning: ReasoningEffort = .medium) {
        self.identity = identity
        self.knowledgeCutoff = knowledgeCutoff
        self.date = date
        self.reasoning = reasoning
    }
}

/// One message of a Harmony conversation (also what the output parser produces).
public struct HarmonyMessage: Sendable, Equatable {
    /// "user", "assistant", "system", "developer", or "tool".
    public var role: String
    /// For tool messages: the tool's name (e.g. "functions.get_weather"), written in the header.
    public var name: String?
    /// "analysis", "commentary" or "final" for assistant messages.
    public var channel: String?
    /// Who the message is for ("functions.x" for a tool call, "assistant" for a tool's answer).
    public var recipient: String?
    /// e.g. "<|constrain|>json" for a constrained tool call.
    public var contentType: String?
    public var content: String

    public init(role: String, name: String? = nil, channel: String? = nil, recipient: String? = nil,
                contentType: String? = nil, content: String) {
        self.role = role
        self.name = name
        self.channel = channel
        self.recipient = recipient
        self.contentType = contentType
        self.content = content
    }

    public static func user(_ content: String) -> HarmonyMessage { HarmonyMessage(role: "user", content: content) }
    public static func assistant(_ content: String, channel: String) -> HarmonyMessage {
        HarmonyMessage(role: "assistant", channel: channel, content: content)
    }
}

/// A conversation to render into a prompt: the system settings, optional developer
/// instructions, and the messages so far. The system message is always rendered (defaults when
/// the JSON has no "system"), because the model expects it.
public struct HarmonyConversation: Sendable, Equatable {
    public var system: HarmonySystem
    public var developer: String?
    /// Functions the model may call (rendered in the developer message's `# Tools` section).
    public var tools: [HarmonyTool]
    public var messages: [HarmonyMessage]

    public init(system: HarmonySystem = HarmonySystem(), developer: String? = nil, tools: [HarmonyTool] = [],
                messages: [HarmonyMessage]) {
        self.system = system
        self.developer = developer
        self.tools = tools
        self.messages = messages
    }

    /// Reads the conversation JSON of the CLI:
    /// `{"system": {"reasoning": "low", "date": "2025-06-28", "identity": "…", "knowledge_cutoff": "…"},
    ///   "developer": "…", "messages": [{"role": "user", "content": "…"},
    ///   {"role": "assistant", "channel": "final", "content": "…"},
    ///   {"role": "tool", "name": "functions.f", "channel": "commentary", "recipient": "assistant", "content": "…"}],
    ///   "tools": [{"name": "get_weather", "description": "…", "parameters": {JSON schema}}]}`.
    /// Unknown keys are errors, so a typo ("chanel") is not silently ignored.
    public init(json data: Data) throws {
        let root: JSONValue
        let ordered: OrderedJSON
        do {
            root = try JSONValue.parse(data)
            // Tool schemas are rendered in the order they were written, which JSONValue forgets.
            ordered = try OrderedJSON.parse(data)
        } catch {
            throw TokenizerError.badConversation("not valid JSON (\(error.localizedDescription))")
        }
        try self.init(json: root)
        tools = try Self.tools(ordered["tools"])
    }

    /// The "tools" list: objects with "name", optional "description" and "parameters".
    static func tools(_ value: OrderedJSON?) throws -> [HarmonyTool] {
        guard let value, !value.isNull else { return [] }
        guard let list = value.array else { throw TokenizerError.badConversation("\"tools\" must be a list of {\"name\": …} objects") }
        return try list.enumerated().map { index, item in
            guard let members = item.members else { throw TokenizerError.badConversation("tools[\(index)] must be an object") }
            if let unknown = members.map(\.key).first(where: { !["name", "description", "parameters"].contains($0) }) {
                throw TokenizerError.badConversation("unknown key '\(unknown)' in tools[\(index)]; allowed: description, name, parameters")
            }
            guard let name = item["name"]?.string, !name.isEmpty else {
                throw TokenizerError.badConversation("tools[\(index)] has no \"name\" string")
            }
            let parameters = item["parameters"].flatMap { $0.isNull ? nil : $0 }
            return HarmonyTool(name: name, description: item["description"]?.string ?? "", parameters: parameters)
        }
    }

    init(json root: JSONValue) throws {
        guard let object = root.object else {
            throw TokenizerError.badConversation("the top level must be an object with \"messages\"")
        }
        try Self.rejectUnknownKeys(object, allowed: ["system", "developer", "messages", "tools"], at: "the top level")

        var system = HarmonySystem()
        if let value = object["system"] {
            guard let fields = value.object else {
                throw TokenizerError.badConversation("\"system\" must be an object such as {\"reasoning\": \"low\"}")
            }
            try Self.rejectUnknownKeys(fields, allowed: ["identity", "knowledge_cutoff", "date", "reasoning"], at: "\"system\"")
            if let identity = try Self.string(fields, "identity", at: "system") { system.identity = identity }
            if let cutoff = try Self.string(fields, "knowledge_cutoff", at: "system") { system.knowledgeCutoff = cutoff }
            system.date = try Self.string(fields, "date", at: "system")
            if let reasoning = try Self.string(fields, "reasoning", at: "system") {
                guard let effort = ReasoningEffort(rawValue: reasoning) else {
                    throw TokenizerError.badConversation("system.reasoning is '\(reasoning)'; use low, medium or high")
                }
                system.reasoning = effort
            }
        }
        let developer = try Self.string(object, "developer", at: "the top level")

        guard let list = object["messages"]?.array else {
            throw TokenizerError.badConversation("\"messages\" must be a list of {\"role\": …, \"content\": …} objects")
        }
        var messages: [HarmonyMessage] = []
        for (index, item) in list.enumerated() {
            let place = "messages[\(index)]"
            guard let fields = item.object else {
                throw TokenizerError.badConversation("\(place) must be an object")
            }
            try Self.rejectUnknownKeys(fields, allowed: ["role", "name", "channel", "recipient", "content_type", "content"], at: place)
            guard let role = try Self.string(fields, "role", at: place) else {
                throw TokenizerError.badConversation("\(place) has no \"role\"")
            }
            guard ["user", "assistant", "tool", "system", "developer"].contains(role) else {
                throw TokenizerError.badConversation("\(place).role is '\(role)'; use user, assistant or tool")
            }
            guard let content = try Self.string(fields, "content", at: place) else {
                throw TokenizerError.badConversation("\(place) has no \"content\" string")
            }
            let name = try Self.string(fields, "name", at: place)
            if role == "tool" && name == nil {
                throw TokenizerError.badConversation("\(place) is a tool message without \"name\" (e.g. \"functions.get_weather\")")
            }
            messages.append(HarmonyMessage(
                role: role, name: name, channel: try Self.string(fields, "channel", at: place),
                recipient: try Self.string(fields, "recipient", at: place),
                contentType: try Self.string(fields, "content_type", at: place), content: content))
        }
        self.init(system: system, developer: developer, messages: messages)
    }

    /// Reads a conversation JSON file.
    public init(contentsOfFile path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TokenizerError.badConversation("cannot read '\(path)'. Hint: check the path.")
        }
        do {
            try self.init(json: data)
        } catch TokenizerError.badConversation(let detail) {
            throw TokenizerError.badConversation("\(path): \(detail)")
        }
    }

    private static func string(_ fields: [String: JSONValue], _ key: String, at place: String) throws -> String? {
        guard let value = fields[key], value != .null else { return nil }
        guard let text = value.string else {
            throw TokenizerError.badConversation("\(place).\(key) must be a string")
        }
        return text
    }

    private static func rejectUnknownKeys(_ fields: [String: JSONValue], allowed: Set<String>, at place: String) throws {
        if let unknown = fields.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw TokenizerError.badConversation(
                "unknown key '\(unknown)' in \(place); allowed: \(allowed.sorted().joined(separator: ", "))")
        }
    }
}
