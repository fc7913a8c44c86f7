/// Splits text into the pieces BPE works on, exactly as o200k's regex does (gpt-oss.md §6):
///
///     [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?
///   | [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?
///   | \p{N}{1,3}
///   | ' ?[^\s\p{L}\p{N}]+[\r\n/]*'
///   | \s*[\r\n]+
///   | \s+(?!\S)
///   | \s+
///
/// A hand-written scanner rather than a regex engine: each alternative is a small function that
/// returns where a match starting at `i` ends, reproducing the backtracking regex's choice
/// (first alternative that matches; greedy quantifiers, giving back only as much as needed).
struct O200kPreTokenizer {
    /// Byte ranges of the pieces of `utf8`, in order, covering all of it.
    static func pieces(of utf8: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        let scanner = Scanner(utf8: utf8)
        return scanner.scan()
    }

    private struct Scanner {
        var scalars: [UInt32] = []
        var classes: [CharacterClass] = []
        var byteOffsets: [Int] = []  // byte offset of each scalar, plus the end

        init(utf8: UnsafeBufferPointer<UInt8>) {
            scalars.reserveCapacity(utf8.count)
            classes.reserveCapacity(utf8.count)
            byteOffsets.reserveCapacity(utf8.count + 1)
            var offset = 0
            while offset < utf8.count {
                let (value, length) = Self.decodeScalar(utf8, at: offset)
                scalars.append(value)
                classes.append(CharacterClass.of(value))
                byteOffsets.append(offset)
                offset += length
            }
            byteOffsets.append(utf8.count)
        }

        /// Swift Strings hold valid UTF-8, so this decoder needs no error paths beyond not
        /// reading past the end; a stray byte is taken as one scalar of its own value.
        @inline(__always)
        static func decodeScalar(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> (UInt32, Int) {
            let b0 = UInt32(bytes[i])
            if b0 < 0x80 { return (b0, 1) }
            if b0 >= 0xF0, i + 3 < bytes.count {
                return (((b0 & 0x07) << 18) | ((UInt32(bytes[i + 1]) & 0x3F) << 12)
                        | ((UInt32(bytes[i + 2]) & 0x3F) << 6) | (UInt32(bytes[i + 3]) & 0x3F), 4)
            }
            if b0 >= 0xE0, i + 2 < bytes.count {
                return (((b0 & 0x0F) << 12) | ((UInt32(bytes[i + 1]) & 0x3F) << 6)
                        | (UInt32(bytes[i + 2]) & 0x3F), 3)
            }
            if b0 >= 0xC0, i + 1 < bytes.count {
                return (((b0 & 0x1F) << 6) | (UInt32(bytes[i + 1]) & 0x3F), 2)
            }
            return (b0, 1)
        }

        func scan() -> [Range<Int>] {
            var pieces: [Range<Int>] = []
            pieces.reserveCapacity(scalars.count / 3)
            var i = 0
            let n = scalars.count
            while i < n {
                let end = word(lowerRequired: true, at: i)
                    ?? word(lowerRequired: false, at: i)
                    ?? digits(at: i)
                    ?? punctuation(at: i)
                    ?? newlines(at: i)
                    ?? trailingSpace(at: i)
                    ?? spaces(at: i)
                    ?? i + 1  // unreachable: every scalar is a letter, mark, number, space or other
                pieces.append(byteOffsets[i]..<byteOffsets[end])
                i = end
            }
            return pieces
        }

        @inline(__always) func has(_ i: Int, _ cls: CharacterClass) -> Bool {
            i < scalars.count && classes[i].contains(cls)
        }

        @inline(__always) func run(from i: Int, _ cls: CharacterClass) -> Int {
            var j = i
            while j < scalars.count && classes[j].contains(cls) { j += 1 }
            return j
        }

        /// Alternatives 1 (`lowerRequired`: P? U* L+ C?) and 2 (P? U+ L* C?), where P is the
        /// optional prefix, U the upper-ish run, L the lower-ish run and C a contraction.
        func word(lowerRequired: Bool, at i: Int) -> Int? {
            // `P?` is greedy: first try with the prefix taken, then without it.
            let hasPrefix = classes[i].isWordPrefix
            for start in stride(from: hasPrefix ? i + 1 : i, through: i, by: -1) {
                let upperEnd = run(from: start, .upperish)
                var end: Int
                if lowerRequired {
                    if has(upperEnd, .lowerish) {
                        end = run(from: upperEnd, .lowerish)
                    } else {
                        // U* gives back characters until L+ can take one: the last lower-ish
                        // character inside the upper run ends the match.
                        var last = upperEnd - 1
                        while last >= start && !classes[last].contains(.lowerish) { last -= 1 }
                        guard last >= start else { continue }
                        end = last + 1
                    }
                } else {
                    guard upperEnd > start else { continue }
                    end = run(from: upperEnd, .lowerish)
                }
                return contraction(at: end) ?? end
            }
            return nil
        }

        /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)` at `i`: the end of the contraction, or nil. Case folding
        /// is Unicode's, so 'ſ' (long s, U+017F) counts as an 's' too.
        func contraction(at i: Int) -> Int? {
            guard i + 1 < scalars.count, scalars[i] == 0x27 else { return nil }
            func folded(_ k: Int) -> UInt32 {
                guard k < scalars.count else { return 0 }
                let v = scalars[k]
                if v == 0x17F { return 0x73 }
                return (v >= 0x41 && v <= 0x5A) ? v + 0x20 : v
            }
            switch folded(i + 1) {
            case 0x73, 0x74, 0x6D, 0x64: return i + 2                       // s t m d
            case 0x72, 0x76: return folded(i + 2) == 0x65 ? i + 3 : nil      // re ve
            case 0x6C: return folded(i + 2) == 0x6C ? i + 3 : nil            // ll
            default: return nil
            }
        }

        /// `\p{N}{1,3}`
        func digits(at i: Int) -> Int? {
            guard has(i, .number) else { return nil }
            var j = i + 1
            while j < i + 3 && has(j, .number) { j += 1 }
            return j
        }

        /// ` ?[^\s\p{L}\p{N}]+[\r\n/]*`
        func punctuation(at i: Int) -> Int? {
            var start = i
            if scalars[i] == 0x20 && i + 1 < scalars.count && classes[i + 1].isPunctuation { start = i + 1 }
            guard classes[start].isPunctuation else { return nil }
            var j = start
            while j < scalars.count && classes[j].isPunctuation { j += 1 }
            while j < scalars.count && (classes[j].contains(.newline) || scalars[j] == 0x2F) { j += 1 }
            return j
        }

        /// `\s*[\r\n]+`: whitespace up to and including its last line break.
        func newlines(at i: Int) -> Int? {
            let end = run(from: i, .whitespace)
            var last = end - 1
            while last >= i && !classes[last].contains(.newline) { last -= 1 }
            return last >= i ? last + 1 : nil
        }

        /// `\s+(?!\S)`: a whitespace run, less its last character when text follows it (that
        /// space then joins the next word).
        func trailingSpace(at i: Int) -> Int? {
            let end = run(from: i, .whitespace)
            if end == i { return nil }
            if end == scalars.count { return end }
            return end - 1 > i ? end - 1 : nil
        }

        /// `\s+`
        func spaces(at i: Int) -> Int? {
            let end = run(from: i, .whitespace)
            return end > i ? end : nil
        }
    }
}
