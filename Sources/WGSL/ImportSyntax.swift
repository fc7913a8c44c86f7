// The import statements a file opens with, in the subset of WESL's syntax this translator takes
// (docs/wgsl.md, "Imports"): `import package::a::b::item;`, `import super::b::item;` and
// collections `import package::a::{b::item, c::{x, y}};`. Renaming (`as`), wildcards (`*`),
// `public import`, external packages and whole-module imports are refused with a message.

/// Where an import path starts: the package root, or `levels` modules above the importer.
enum ImportRoot: Equatable {
    case package
    case ancestor(levels: Int)
}

/// One item an import statement brings in, after collections are flattened.
struct ImportedName {
    var root: ImportRoot
    /// The module's segments after the root (`["lib", "rows"]` for `package::lib::rows::x`).
    var modulePath: [String]
    var item: String
    var itemSpan: SourceSpan
    /// From the first segment of the statement to the item, for "no such module" messages.
    var pathSpan: SourceSpan
}

/// A file's leading import statements.
struct ImportHeader {
    var names: [ImportedName] = []
    /// The bytes the statements cover, from the first `import` to the last `;`; nil if none.
    var byteRange: Range<Int>?
    /// The first token after the imports.
    var bodyTokenIndex = 0
}

struct ImportParser {
    /// Collections nested deeper than this are refused (the parser recurses along them).
    static let maxCollectionDepth = 16

    private let tokens: [Token]
    private var index = 0
    private var header = ImportHeader()

    /// Reads the import statements at the start of `tokens` (lexed with reserved words allowed).
    static func parse(_ tokens: [Token]) throws -> ImportHeader {
        var parser = ImportParser(tokens: tokens)
        try parser.statements()
        return parser.header
    }

    private init(tokens: [Token]) {
        self.tokens = tokens
    }

    private var current: Token { tokens[index] }

    private mutating func advance() -> Token {
        let token = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    /// `::` is two `:` tokens to the lexer; here they must touch.
    private var atPathSeparator: Bool {
        index + 1 < tokens.count && current.symbol == ":" && tokens[index + 1].symbol == ":"
            && tokens[index + 1].span.start == current.span.end
    }

    private mutating func expectPathSeparator(after what: String) throws {
        guard atPathSeparator else {
            throw CompileError("expected '::' after '\(what)' in the import path, found \(current.quoted)", current.span)
        }
        _ = advance()
        _ = advance()
    }

    private mutating func statements() throws {
        if current.identifier == "public", tokens[min(index + 1, tokens.count - 1)].identifier == "import" {
            throw CompileError("'public import' (re-exporting) is not supported: import the item where it is used", current.span)
        }
        while current.identifier == "import" {
            let start = advance().span
            let pathStart = current.span
            let root = try importRoot()
            try pathOrItem(root: root, prefix: [], start: pathStart, depth: 0)
            guard current.symbol == ";" else {
                throw CompileError("expected ';' after the import statement, found \(current.quoted)", current.span)
            }
            let end = advance().span
            header.byteRange = (header.byteRange?.lowerBound ?? start.start)..<end.end
        }
        header.bodyTokenIndex = index
    }

    private mutating func importRoot() throws -> ImportRoot {
        switch current.identifier {
        case "package":
            _ = advance()
            try expectPathSeparator(after: "package")
            return .package
        case "super":
            var levels = 0
            while current.identifier == "super" {
                _ = advance()
                try expectPathSeparator(after: "super")
                levels += 1
            }
            return .ancestor(levels: levels)
        default:
            throw CompileError("an import path starts with 'package::' (this package's root) or 'super::' (the importing module's parent); found \(current.quoted): external packages are not supported", current.span)
        }
    }

    private mutating func pathOrItem(root: ImportRoot, prefix: [String], start: SourceSpan, depth: Int) throws {
        if current.symbol == "{" {
            if depth >= ImportParser.maxCollectionDepth {
                throw CompileError("import collections nested more than \(ImportParser.maxCollectionDepth) deep", current.span)
            }
            _ = advance()
            while current.symbol != "}" {
                try pathOrItem(root: root, prefix: prefix, start: start, depth: depth + 1)
                guard current.symbol == "," else { break }
                _ = advance()
            }
            guard current.symbol == "}" else {
                throw CompileError("expected ',' or '}' in the import collection, found \(current.quoted)", current.span)
            }
            _ = advance()
            return
        }
        if current.symbol == "*" {
            throw CompileError("wildcard imports ('*') are not supported: name the items", current.span)
        }
        guard let name = current.identifier else {
            throw CompileError("expected a module or item name in the import path, found \(current.quoted)", current.span)
        }
        let nameToken = advance()
        if atPathSeparator {
            _ = advance()
            _ = advance()
            try pathOrItem(root: root, prefix: prefix + [name], start: start, depth: depth)
            return
        }
        if current.identifier == "as" {
            throw CompileError("renaming imports ('as') is not supported: import '\(NameSuggestion.shown(name))' under its own name", current.span)
        }
        if prefix.isEmpty {
            throw CompileError("'\(NameSuggestion.shown(name))' names no module: write the module path, then the item (package::module::\(NameSuggestion.shown(name))); whole-module imports are not supported", nameToken.span)
        }
        header.names.append(ImportedName(root: root, modulePath: prefix, item: name, itemSpan: nameToken.span,
                                         pathSpan: start.union(nameToken.span)))
    }
}
