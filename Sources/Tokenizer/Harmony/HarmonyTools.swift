/// A function the model may call: its name, what it does, and its parameters as a JSON schema
/// (nil: the function takes no arguments).
public struct HarmonyTool: Sendable, Equatable {
    public var name: String
    public var description: String
    public var parameters: OrderedJSON?

    public init(name: String, description: String = "", parameters: OrderedJSON? = nil) {
        self.name = name; self.description = description; self.parameters = parameters
    }
}

/// Writes function tools the way openai-harmony presents them to gpt-oss: a `# Tools` section
/// with a TypeScript-like namespace, each function a `type NAME = (_: {…}) => any;` whose
/// argument type is translated from the JSON schema (properties in the client's order, `?` for
/// optional ones, descriptions and defaults as `//` comments, string enums as unions).
/// The output is checked byte for byte against openai-harmony 0.0.8 (Tests/TokenizerTests,
/// Fixtures/tools.json).
public enum HarmonyToolSection {
    /// The developer message's tools section for the `functions` namespace.
    public static func render(_ tools: [HarmonyTool], namespace: String = "functions") -> String {
        var lines = ["## \(namespace)\n", "namespace \(namespace) {\n"]
        for tool in tools {
            lines += harmonyLines(tool.description).map { "// " + $0 }
            if let parameters = tool.parameters {
                lines.append("type \(tool.name) = (_: \(typeScript(parameters, indent: ""))) => any;\n")
            } else {
                lines.append("type \(tool.name) = () => any;\n")
            }
        }
        lines.append("} // namespace \(namespace)")
        return "# Tools\n\n" + lines.joined(separator: "\n")
    }

    /// Lines as Rust's `str::lines` splits them (openai-harmony's rule): "\n" ends a line, a
    /// trailing "\r" is dropped, and a final line break adds no empty line.
    static func harmonyLines(_ text: String) -> [String] {
        guard !text.isEmpty else { return [] }
        // "\r\n" is one Character in Swift, so both endings are separators.
        let isBreak: (Character) -> Bool = { $0 == "\n" || $0 == "\r\n" }
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: isBreak).map(String.init)
        if let last = text.last, isBreak(last) { lines.removeLast() }
        return lines
    }

    /// A JSON schema as a TypeScript type. `indent` prefixes the comment and member lines of
    /// objects (nested objects indent four more spaces; `oneOf` variants three).
    static func typeScript(_ schema: OrderedJSON, indent: String) -> String {
        if let variants = schema["oneOf"]?.array {
            var out = ""
            for variant in variants {
                out += "\n\(indent) | "
                out += variantType(variant, indent: indent + "   ")
                let comments = trailingComments(variant, description: variant["description"]?.string)
                if !comments.isEmpty { out += " // " + comments.joined(separator: " ") }
            }
            return out
        }
        if let types = schema["type"]?.array {
            let names = types.compactMap(\.string).map { $0 == "integer" ? "number" : $0 }
            if !names.isEmpty { return names.joined(separator: " | ") }
        }
        guard let type = schema["type"]?.string else { return "any" }
        switch type {
        case "object": return objectType(schema, indent: indent)
        case "string":
            let values = (schema["enum"]?.array ?? []).compactMap(\.string)
            return values.isEmpty ? "string" : values.map { "\"\($0)\"" }.joined(separator: " | ")
        case "number", "integer": return "number"
        case "boolean": return "boolean"
        case "array":
            guard let items = schema["items"] else { return "Array<any>" }
            return typeScript(items, indent: indent) + "[]"
        default: return "any"
        }
    }

    private static func objectType(_ schema: OrderedJSON, indent: String) -> String {
        var out = ""
        if let description = schema["description"]?.string { out += "\(indent)// \(description)\n" }
        out += "{\n"
        let required = Set((schema["required"]?.array ?? []).compactMap(\.string))
        for member in schema["properties"]?.members ?? [] {
            let key = member.key, property = member.value
            let optional = required.contains(key) ? "" : "?"
            if let title = property["title"]?.string { out += "\(indent)// \(title)\n\(indent)//\n" }
            let variants = property["oneOf"]?.array
            if variants == nil, let description = property["description"]?.string { out += "\(indent)// \(description)\n" }
            if let examples = property["examples"]?.array, !examples.isEmpty {
                out += "\(indent)// Examples:\n"
                for example in examples.compactMap(\.string) { out += "\(indent)// - \"\(example)\"\n" }
            }
            if let variants {
                out += oneOfProperty(key: key, optional: optional, property: property, variants: variants, indent: indent)
                continue
            }
            out += "\(indent)\(key)\(optional): " + variantType(property, indent: indent + "    ") + ","
            if let value = property["default"] { out += " // " + defaultComment(value, in: property) }
            out += "\n"
        }
        return out + "\(indent)}"
    }

    /// A property whose schema is a `oneOf`: its comments above, then one `| type` line per variant.
    private static func oneOfProperty(key: String, optional: String, property: OrderedJSON, variants: [OrderedJSON],
                                      indent: String) -> String {
        var out = ""
        let description = property["description"]?.string
        // The property's description is not repeated when the first variant says the same.
        let sameAsFirst = description != nil && variants.first?["description"]?.string == description
        let describedAbove = description != nil && !sameAsFirst
        if describedAbove, let description { out += "\(indent)// \(description)\n" }
        if let value = property["default"] { out += "\(indent)// " + defaultComment(value, in: property) + "\n" }
        out += "\(indent)\(key)\(optional):\n"
        for (i, variant) in variants.enumerated() {
            out += "\(indent) | " + variantType(variant, indent: indent + "   ")
            var variantDescription = variant["description"]?.string
            if (i == 0 && describedAbove) || variantDescription == description { variantDescription = nil }
            let comments = trailingComments(variant, description: variantDescription)
            if !comments.isEmpty { out += " // " + comments.joined(separator: " ") }
            out += "\n"
        }
        return out + "\(indent),\n"
    }

    /// A type with ` | null` added when the schema says `nullable` and the type has no null yet.
    private static func variantType(_ schema: OrderedJSON, indent: String) -> String {
        let type = typeScript(schema, indent: indent)
        if schema["nullable"]?.bool == true && !type.contains("null") { return type + " | null" }
        return type
    }

    private static func trailingComments(_ schema: OrderedJSON, description: String?) -> [String] {
        var comments: [String] = []
        if let description { comments.append(description) }
        if let value = schema["default"] { comments.append(defaultComment(value, in: schema)) }
        return comments
    }

    /// "default: …": a string default in quotes, unless the schema is an enum (then bare);
    /// other values as compact JSON.
    private static func defaultComment(_ value: OrderedJSON, in schema: OrderedJSON) -> String {
        if let text = value.string {
            let isEnum = !(schema["enum"]?.array ?? []).isEmpty
            return isEnum ? "default: \(text)" : "default: \"\(text)\""
        }
        return "default: \(value.serialized)"
    }
}
