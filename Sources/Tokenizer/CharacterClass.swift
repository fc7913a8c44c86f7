/// The character classes the o200k pre-tokenizer regex distinguishes, as bits of one byte per
/// Unicode scalar. Categories come from Swift's Unicode tables (`generalCategory`,
/// `isWhitespace` = the White_Space property, which is what the regex's `\s` means).
struct CharacterClass: OptionSet {
    let rawValue: UInt8

    /// Lu, Lt, Lm, Lo or M: the "upper" run of the regex's first two alternatives.
    static let upperish = CharacterClass(rawValue: 1 << 0)
    /// Ll, Lm, Lo or M: the "lower" run.
    static let lowerish = CharacterClass(rawValue: 1 << 1)
    /// Any letter (\p{L}).
    static let letter = CharacterClass(rawValue: 1 << 2)
    /// Any number (\p{N}: Nd, Nl, No).
    static let number = CharacterClass(rawValue: 1 << 3)
    /// White_Space (\s).
    static let whitespace = CharacterClass(rawValue: 1 << 4)
    /// '\r' or '\n'.
    static let newline = CharacterClass(rawValue: 1 << 5)

    /// `[^\r\n\p{L}\p{N}]`: the optional one-character prefix of a word.
    @inline(__always) var isWordPrefix: Bool { isDisjoint(with: [.newline, .letter, .number]) }
    /// `[^\s\p{L}\p{N}]`: punctuation and symbols.
    @inline(__always) var isPunctuation: Bool { isDisjoint(with: [.whitespace, .letter, .number]) }

    static func of(_ value: UInt32) -> CharacterClass {
        if value < 0x10000 { return bmpTable[Int(value)] }
        return compute(value)
    }

    /// Classes of every scalar in the Basic Multilingual Plane, computed once (about 65k
    /// property look-ups) so that the scanner's inner loop is a table read.
    private static let bmpTable: [CharacterClass] = (0..<0x10000).map { compute(UInt32($0)) }

    private static func compute(_ value: UInt32) -> CharacterClass {
        guard let scalar = Unicode.Scalar(value) else { return [] }  // surrogates: never in a String
        var result: CharacterClass = []
        let properties = scalar.properties
        switch properties.generalCategory {
        case .uppercaseLetter, .titlecaseLetter:
            result = [.upperish, .letter]
        case .lowercaseLetter:
            result = [.lowerish, .letter]
        case .modifierLetter, .otherLetter:
            result = [.upperish, .lowerish, .letter]
        case .nonspacingMark, .spacingMark, .enclosingMark:
            result = [.upperish, .lowerish]
        case .decimalNumber, .letterNumber, .otherNumber:
            result = [.number]
        default:
            break
        }
        if properties.isWhitespace { result.insert(.whitespace) }
        if value == 0x0D || value == 0x0A { result.insert(.newline) }
        return result
    }
}
