// Turns WGSL source bytes into tokens. Comments (including nested block comments) and whitespace
// vanish here; every token keeps its byte span for diagnostics. Template brackets are not
// resolved here: `>>` stays one token and the parser splits it when it closes two template lists.

struct Lexer {
    private let bytes: [UInt8]
    private var position = 0
    /// WESL's import statements use words WGSL reserves (`import`, `package`, `super`); the
    /// import linker reads them with this set, the parser never does.
    private let allowsReservedWords: Bool

    init(bytes: [UInt8], allowsReservedWords: Bool = false) {
        self.bytes = bytes
        self.allowsReservedWords = allowsReservedWords
    }

    /// Every token of the source, ending with `.endOfFile`.
    static func tokenize(_ bytes: [UInt8], allowsReservedWords: Bool = false) throws -> [Token] {
        var lexer = Lexer(bytes: bytes, allowsReservedWords: allowsReservedWords)
        var tokens: [Token] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .endOfFile { return tokens }
        }
    }

    private func peek(_ offset: Int = 0) -> UInt8 {
        let index = position + offset
        return index < bytes.count ? bytes[index] : 0
    }

    private mutating func skipTrivia() throws {
        while position < bytes.count {
            let c = peek()
            if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == 0x0B || c == 0x0C {
                position += 1
            } else if c == UInt8(ascii: "/") && peek(1) == UInt8(ascii: "/") {
                while position < bytes.count && peek() != 0x0A { position += 1 }
            } else if c == UInt8(ascii: "/") && peek(1) == UInt8(ascii: "*") {
                let start = position
                var depth = 0
                repeat {
                    if position >= bytes.count {
                        throw CompileError("unterminated block comment: add the closing '*/'", SourceSpan(start: start, end: start + 2))
                    }
                    if peek() == UInt8(ascii: "/") && peek(1) == UInt8(ascii: "*") {
                        depth += 1
                        position += 2
                    } else if peek() == UInt8(ascii: "*") && peek(1) == UInt8(ascii: "/") {
                        depth -= 1
                        position += 2
                    } else {
                        position += 1
                    }
                } while depth > 0
            } else {
                return
            }
        }
    }

    private static func isIdentifierStart(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F || c >= 0x80
    }

    private static func isIdentifierContinue(_ c: UInt8) -> Bool {
        isIdentifierStart(c) || isDigit(c)
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    private static func isHexDigit(_ c: UInt8) -> Bool {
        isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
    }

    /// Longest match first, so `>>=` wins over `>>` and `>`.
    private static let symbols: [String] = [
        ">>=", "<<=",
        "->", "&&", "||", "==", "!=", "<=", ">=", "<<", ">>", "++", "--",
        "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=",
        "&", "@", "/", "!", "[", "]", "{", "}", ":", ",", "=", ">", "<", "%", "-", ".", "+",
        "|", "(", ")", ";", "*", "~", "^",
    ].sorted { $0.count > $1.count }
    private static let symbolBytes: [[UInt8]] = symbols.map { Array($0.utf8) }

    mutating func next() throws -> Token {
        try skipTrivia()
        let start = position
        guard position < bytes.count else {
            return Token(kind: .endOfFile, span: SourceSpan(start: start, end: start))
        }
        let c = peek()
        if Lexer.isIdentifierStart(c) {
            while position < bytes.count && Lexer.isIdentifierContinue(peek()) { position += 1 }
            let text = String(decoding: bytes[start..<position], as: UTF8.self)
            if !allowsReservedWords && ReservedWords.all.contains(text) {
                throw CompileError("'\(text)' is a reserved word in WGSL and cannot be used as a name: rename it",
                                   SourceSpan(start: start, end: position))
            }
            return Token(kind: .identifier(text), span: SourceSpan(start: start, end: position))
        }
        if Lexer.isDigit(c) || (c == UInt8(ascii: ".") && Lexer.isDigit(peek(1))) {
            return try number()
        }
        for (index, symbol) in Lexer.symbolBytes.enumerated() where position + symbol.count <= bytes.count {
            if Array(bytes[position..<position + symbol.count]) == symbol {
                position += symbol.count
                return Token(kind: .symbol(Lexer.symbols[index]), span: SourceSpan(start: start, end: position))
            }
        }
        let length = Lexer.sequenceLength(leadByte: bytes[start])
        let end = min(start + length, bytes.count)
        throw CompileError("unexpected character \(Lexer.describe(bytes[start..<end])) in WGSL source", SourceSpan(start: start, end: end))
    }

    private mutating func number() throws -> Token {
        let start = position
        if peek() == UInt8(ascii: "0") && (peek(1) == UInt8(ascii: "x") || peek(1) == UInt8(ascii: "X")) {
            return try hexNumber()
        }
        var isFloat = false
        while Lexer.isDigit(peek()) { position += 1 }
        if peek() == UInt8(ascii: ".") {
            isFloat = true
            position += 1
            while Lexer.isDigit(peek()) { position += 1 }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            let save = position
            position += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { position += 1 }
            if Lexer.isDigit(peek()) {
                isFloat = true
                while Lexer.isDigit(peek()) { position += 1 }
            } else {
                position = save
            }
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        var suffix = ""
        let s = peek()
        if s == UInt8(ascii: "f") || s == UInt8(ascii: "h") {
            suffix = s == UInt8(ascii: "f") ? "f" : "h"
            isFloat = true
            position += 1
        } else if !isFloat && (s == UInt8(ascii: "i") || s == UInt8(ascii: "u")) {
            suffix = s == UInt8(ascii: "i") ? "i" : "u"
            position += 1
        }
        let span = SourceSpan(start: start, end: position)
        if Lexer.isIdentifierContinue(peek()) {
            throw CompileError("malformed number literal: unexpected suffix after '\(text)\(suffix)'", SourceSpan(start: start, end: position + 1))
        }
        if isFloat {
            guard let value = Double(text) else {
                throw CompileError("malformed floating-point literal '\(text)'", span)
            }
            return Token(kind: .floatLiteral(value: value, suffix: suffix), span: span)
        }
        if text.count > 1 && text.hasPrefix("0") {
            throw CompileError("decimal integer literals cannot have leading zeros: write '\(text.drop { $0 == "0" })' or use 0x for hex", span)
        }
        guard let value = UInt64(text) else {
            throw CompileError("integer literal '\(text)' is too large", span)
        }
        return Token(kind: .intLiteral(value: value, suffix: suffix), span: span)
    }

    private mutating func hexNumber() throws -> Token {
        let start = position
        position += 2
        let digitsStart = position
        while Lexer.isHexDigit(peek()) { position += 1 }
        let mantissaText = String(decoding: bytes[digitsStart..<position], as: UTF8.self)
        var fractionText = ""
        var isFloat = false
        if peek() == UInt8(ascii: ".") {
            isFloat = true
            position += 1
            let fractionStart = position
            while Lexer.isHexDigit(peek()) { position += 1 }
            fractionText = String(decoding: bytes[fractionStart..<position], as: UTF8.self)
        }
        var exponent = 0
        if peek() == UInt8(ascii: "p") || peek() == UInt8(ascii: "P") {
            isFloat = true
            position += 1
            var negative = false
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") {
                negative = peek() == UInt8(ascii: "-")
                position += 1
            }
            let expStart = position
            while Lexer.isDigit(peek()) { position += 1 }
            guard let e = Int(String(decoding: bytes[expStart..<position], as: UTF8.self)) else {
                throw CompileError("malformed hexadecimal float exponent", SourceSpan(start: start, end: position))
            }
            exponent = negative ? -e : e
        }
        var suffix = ""
        let s = peek()
        if isFloat && (s == UInt8(ascii: "f") || s == UInt8(ascii: "h")) {
            suffix = s == UInt8(ascii: "f") ? "f" : "h"
            position += 1
        } else if !isFloat && (s == UInt8(ascii: "i") || s == UInt8(ascii: "u")) {
            suffix = s == UInt8(ascii: "i") ? "i" : "u"
            position += 1
        }
        let span = SourceSpan(start: start, end: position)
        if mantissaText.isEmpty && fractionText.isEmpty {
            throw CompileError("hexadecimal literal has no digits after '0x'", span)
        }
        if isFloat {
            var value = Double(UInt64(mantissaText, radix: 16) ?? 0)
            var scale = 1.0 / 16.0
            for ch in fractionText {
                value += Double(ch.hexDigitValue ?? 0) * scale
                scale /= 16
            }
            value *= pow2(exponent)
            return Token(kind: .floatLiteral(value: value, suffix: suffix), span: span)
        }
        guard let value = UInt64(mantissaText, radix: 16) else {
            throw CompileError("hexadecimal literal '0x\(mantissaText)' is too large", span)
        }
        return Token(kind: .intLiteral(value: value, suffix: suffix), span: span)
    }

    private func pow2(_ exponent: Int) -> Double {
        var result = 1.0
        if exponent >= 0 { for _ in 0..<exponent { result *= 2 } } else { for _ in 0..<(-exponent) { result /= 2 } }
        return result
    }

    /// Bytes in the UTF-8 sequence a lead byte starts (1 for a stray continuation byte).
    static func sequenceLength(leadByte: UInt8) -> Int {
        switch leadByte {
        case 0xC0...0xDF: return 2
        case 0xE0...0xEF: return 3
        case 0xF0...0xF7: return 4
        default: return 1
        }
    }

    /// A character for a message: `'"' (U+0022)`, or just `U+0001` when it does not print.
    static func describe(_ sequence: ArraySlice<UInt8>) -> String {
        guard let scalar = String(validating: Array(sequence), as: UTF8.self)?.unicodeScalars.first else {
            return "byte 0x" + String(sequence.first ?? 0, radix: 16, uppercase: true)
        }
        var code = String(scalar.value, radix: 16, uppercase: true)
        while code.count < 4 { code = "0" + code }
        let printable = scalar.properties.generalCategory != .control && !scalar.properties.isWhitespace
            && scalar.properties.generalCategory != .format
        return printable ? "'\(scalar)' (U+\(code))" : "U+\(code)"
    }
}
