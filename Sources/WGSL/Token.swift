// The lexer's output. Keywords stay identifiers (the parser asks `isKeyword`), which keeps the
// token set small and lets diagnostics quote the text the author wrote.

enum TokenKind: Equatable {
    case identifier(String)
    /// An integer literal: its value and suffix ("" for abstract, "i", "u").
    case intLiteral(value: UInt64, suffix: String)
    /// A floating literal: its value and suffix ("" for abstract, "f", "h").
    case floatLiteral(value: Double, suffix: String)
    /// Punctuation and operators, spelled exactly as in the source: "+", ">>=", "->", "@", ...
    case symbol(String)
    case endOfFile
}

struct Token: Equatable {
    var kind: TokenKind
    var span: SourceSpan

    var symbol: String? {
        if case .symbol(let s) = kind { return s }
        return nil
    }

    var identifier: String? {
        if case .identifier(let s) = kind { return s }
        return nil
    }

    /// How the token reads in a message: `'foo'`, `'+'`, `end of file`.
    var quoted: String {
        switch kind {
        case .identifier(let name): return "'\(NameSuggestion.shown(name))'"
        case .intLiteral(let value, let suffix): return "'\(value)\(suffix)'"
        case .floatLiteral(let value, let suffix): return "'\(value)\(suffix)'"
        case .symbol(let s): return "'\(s)'"
        case .endOfFile: return "end of file"
        }
    }
}

/// Words WGSL reserves for its own grammar; they cannot name declarations.
let wgslKeywords: Set<String> = [
    "alias", "break", "case", "const", "const_assert", "continue", "continuing", "default",
    "diagnostic", "discard", "else", "enable", "false", "fn", "for", "if", "let", "loop",
    "override", "requires", "return", "struct", "switch", "true", "var", "while",
]
