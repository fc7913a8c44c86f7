import Foundation

/// Token ids with their pieces, formatted for people (`tokenize`) or for programs (`--json`).
public struct TokenListing {
    public let ids: [Int]
    /// Each token's text; bytes that are only part of a character are shown as <0xNN>.
    public let pieces: [String]
    public let text: String

    public init(tokenizer: BPETokenizer, ids: [Int]) throws {
        self.ids = ids
        var pieces: [String] = []
        for id in ids {
            guard let bytes = tokenizer.bytes(of: id) else {
                throw TokenizerError.tokenOutOfRange(id: id, vocabularySize: tokenizer.vocabularySize)
            }
            pieces.append(Self.readable(bytes))
        }
        self.pieces = pieces
        self.text = try tokenizer.decode(ids)
    }

    private struct JSONForm: Encodable {
        var count: Int
        var ids: [Int]
        var pieces: [String]
        var text: String?
    }

    /// Plain: the comma-separated ids, then one "id  piece" line per token (pieces quoted and
    /// escaped so spaces and newlines are visible). JSON: {"count", "ids", "pieces"[, "text"]}.
    public func render(json: Bool, idsOnly: Bool, includeText: Bool = false) throws -> String {
        let idLine = ids.map(String.init).joined(separator: ",")
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let form = JSONForm(count: ids.count, ids: ids, pieces: pieces, text: includeText ? text : nil)
            return String(decoding: try encoder.encode(form), as: UTF8.self)
        }
        if idsOnly { return idLine }
        var lines = [idLine, "\(ids.count) tokens"]
        let width = ids.map { String($0).count }.max() ?? 0
        for (id, piece) in zip(ids, pieces) {
            let number = String(id)
            lines.append(String(repeating: " ", count: width - number.count) + number + "  " + Self.quoted(piece))
        }
        return lines.joined(separator: "\n")
    }

    /// Ids from "1,2,3", "1 2 3" or "[1, 2, 3]".
    public static func parseIDs(_ text: String) throws -> [Int] {
        let separators = CharacterSet(charactersIn: ",[] \t\n")
        let words = text.components(separatedBy: separators).filter { !$0.isEmpty }
        guard !words.isEmpty else {
            throw TokenizerError.badTokenIDs("no token ids given; write them like 12194,11,2375")
        }
        return try words.map { word in
            guard let id = Int(word), id >= 0 else {
                throw TokenizerError.badTokenIDs("'\(word)' is not a token id (a whole number ≥ 0); write ids like 12194,11,2375")
            }
            return id
        }
    }

    /// The bytes as text, with any byte that is not part of a complete UTF-8 character as <0xNN>.
    static func readable(_ bytes: ArraySlice<UInt8>) -> String {
        if let text = String(validating: Array(bytes), as: UTF8.self) { return text }
        return bytes.map { $0 < 0x80 ? String(UnicodeScalar($0)) : String(format: "<0x%02X>", $0) }.joined()
    }

    /// A piece in quotes, with newlines, tabs and other invisible characters escaped.
    static func quoted(_ piece: String) -> String {
        var out = "\""
        for scalar in piece.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || scalar.properties.generalCategory == .format {
                    out += "\\u{" + String(scalar.value, radix: 16) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
