/// Text from a file (metadata keys, tensor names, string values) made safe to print on a
/// terminal: a hostile file must not be able to move the cursor, recolour, retitle or reorder
/// what `inspect` or an error message shows.
public enum TerminalText {
    /// Scalars a terminal may act on instead of showing: C0 controls, DEL, C1 controls (U+009B
    /// is a one-byte CSI on some terminals), and the bidirectional embeddings, overrides and
    /// isolates that reorder the text after them.
    public static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    /// The escape shown for an unsafe scalar: `\n`, `\r`, `\t`, else `\uXXXX` (JSON's spelling,
    /// so values, keys and names read alike).
    public static func escape(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\n": return "\\n"
        case "\r": return "\\r"
        case "\t": return "\\t"
        default:
            let hex = String(scalar.value, radix: 16)
            return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        }
    }

    /// `text` with every unsafe scalar replaced by its escape; unchanged when there is none.
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isUnsafe(scalar) { out.append(contentsOf: escape(scalar).unicodeScalars) } else { out.append(scalar) }
        }
        return String(out)
    }
}
