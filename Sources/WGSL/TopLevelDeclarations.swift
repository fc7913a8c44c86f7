// What the import linker needs to know of a file's module-scope declarations, read from tokens:
// each one's name, its bytes (with the comment lines right above it) and the names it mentions.
// Syntax errors are the parser's business (the linker parses every file it reads); this only
// has to find where declarations start and end, which braces and semicolons decide.

struct TopLevelDeclaration {
    /// nil for `const_assert`.
    var name: String?
    /// `fn`, `struct`, `var`, `const`, `override`, `alias` or `const_assert` ("" if none was found).
    var keyword: String
    var nameSpan: SourceSpan
    /// The declaration's bytes, from the comment lines directly above it to its end.
    var byteRange: Range<Int>
    /// Identifiers it uses, member names after `.` excepted: the module-scope names it may
    /// depend on (locals and builtins among them are harmless extras).
    var references: Set<String>
}

/// A directive (`enable f16;`) among the declarations: modules may not hold one.
struct TopLevelDirective {
    var keyword: String
    var span: SourceSpan
}

enum TopLevelScanner {
    /// Splits `tokens[start...]` into directives and declarations.
    static func scan(_ tokens: [Token], from start: Int, source: [UInt8]) throws -> (declarations: [TopLevelDeclaration], directives: [TopLevelDirective]) {
        var declarations: [TopLevelDeclaration] = []
        var directives: [TopLevelDirective] = []
        var i = start
        var previousEnd = start > 0 ? tokens[start - 1].span.end : 0
        while tokens[i].kind != .endOfFile {
            let first = tokens[i]
            if first.symbol == ";" { i += 1; continue }
            if first.identifier == "import" {
                throw CompileError("imports must come first in a file, before directives and declarations", first.span)
            }
            if let keyword = first.identifier, ["enable", "requires", "diagnostic"].contains(keyword) {
                let end = endOfStatement(tokens, from: i)
                directives.append(TopLevelDirective(keyword: keyword, span: first.span.union(tokens[end].span)))
                i = end + 1
                previousEnd = tokens[end].span.end
                continue
            }
            let end = endOfDeclaration(tokens, from: i)
            var references: Set<String> = []
            for k in i...end {
                if let name = tokens[k].identifier, k == 0 || tokens[k - 1].symbol != "." { references.insert(name) }
            }
            let (keyword, name, nameSpan) = declaredName(tokens, from: i, to: end)
            let byteStart = startOfLeadingComments(source, declarationStart: first.span.start, notBefore: previousEnd)
            declarations.append(TopLevelDeclaration(name: name, keyword: keyword, nameSpan: nameSpan ?? first.span,
                                                    byteRange: byteStart..<tokens[end].span.end, references: references))
            previousEnd = tokens[end].span.end
            i = min(end + 1, tokens.count - 1)
        }
        return (declarations, directives)
    }

    /// The `;` ending a directive (or the last token before end of file).
    private static func endOfStatement(_ tokens: [Token], from start: Int) -> Int {
        var i = start
        while tokens[i].symbol != ";" && tokens[i + 1].kind != .endOfFile { i += 1 }
        return i
    }

    /// The last token of the declaration starting at `start`: a `;` outside braces, or the `}`
    /// closing its body (with a `;` right after it, as structs may have).
    private static func endOfDeclaration(_ tokens: [Token], from start: Int) -> Int {
        var depth = 0
        var i = start
        while tokens[i].kind != .endOfFile {
            switch tokens[i].symbol {
            case "{": depth += 1
            case "}":
                depth -= 1
                if depth <= 0 { return tokens[i + 1].symbol == ";" ? i + 1 : i }
            case ";" where depth == 0: return i
            default: break
            }
            i += 1
        }
        return max(start, i - 1)
    }

    /// The declaration's keyword, and the name after it (after `var`'s `<...>`), if any.
    private static func declaredName(_ tokens: [Token], from start: Int, to end: Int) -> (String, String?, SourceSpan?) {
        var i = start
        while i <= end {
            guard let word = tokens[i].identifier,
                  ["fn", "struct", "var", "const", "override", "alias", "const_assert"].contains(word) else {
                i += 1
                continue
            }
            if word == "const_assert" { return (word, nil, nil) }
            i += 1
            if word == "var" && tokens[i].symbol == "<" {
                while i <= end && tokens[i].symbol != ">" { i += 1 }
                i += 1
            }
            guard i <= end, let name = tokens[i].identifier else { return (word, nil, nil) }
            return (word, name, tokens[i].span)
        }
        return ("", nil, nil)
    }

    /// Where the run of `//` comment lines directly above `declarationStart` begins (the line's
    /// start when there is none), never before `notBefore`.
    static func startOfLeadingComments(_ source: [UInt8], declarationStart: Int, notBefore: Int) -> Int {
        func lineStart(_ position: Int) -> Int {
            var p = position
            while p > 0 && source[p - 1] != UInt8(ascii: "\n") { p -= 1 }
            return p
        }
        var start = lineStart(declarationStart)
        if start < notBefore { return declarationStart }
        while start > notBefore && start > 0 {
            let previous = lineStart(start - 1)
            let text = source[previous..<(start - 1)].drop { $0 == 0x20 || $0 == 0x09 }
            guard previous >= notBefore, text.starts(with: [UInt8(ascii: "/"), UInt8(ascii: "/")]) else { break }
            start = previous
        }
        return start
    }
}
