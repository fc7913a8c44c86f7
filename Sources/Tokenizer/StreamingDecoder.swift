/// Turns generated tokens into text as they arrive without ever emitting half a character: a
/// token may end inside a multi-byte UTF-8 sequence (emoji, CJK are often split over tokens), so
/// bytes of an unfinished sequence wait for the next token.
///
/// Bytes that can never become valid UTF-8 are emitted as U+FFFD at once, so a bad stream
/// cannot stall the output; `finish()` flushes whatever is left the same way.
public struct StreamingDecoder {
    private let tokenizer: BPETokenizer
    private var pending: [UInt8] = []

    public init(tokenizer: BPETokenizer) { self.tokenizer = tokenizer }

    /// The text that token `id` completes (often empty or several characters); ids outside the
    /// vocabulary throw.
    public mutating func append(_ id: Int) throws -> String {
        guard let bytes = tokenizer.bytes(of: id) else {
            throw TokenizerError.tokenOutOfRange(id: id, vocabularySize: tokenizer.vocabularySize)
        }
        return append(bytes: bytes)
    }

    /// The text completed by more raw bytes.
    public mutating func append<Bytes: Collection>(bytes: Bytes) -> String where Bytes.Element == UInt8 {
        pending.append(contentsOf: bytes)
        let ready = Self.completePrefixLength(pending)
        guard ready > 0 else { return "" }
        let text = String(decoding: pending[..<ready], as: UTF8.self)
        pending.removeFirst(ready)
        return text
    }

    /// Whatever is left (an unfinished sequence becomes U+FFFD), leaving the decoder empty.
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// True while bytes of an unfinished character are held back.
    public var hasPendingBytes: Bool { !pending.isEmpty }

    /// How many leading bytes can be decoded now: all of them unless the tail is the start of a
    /// multi-byte sequence that more bytes could still complete.
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        let n = bytes.count
        // A UTF-8 sequence is at most 4 bytes, so only the last 3 can be an unfinished one.
        var start = n - 1
        while start >= 0 && start >= n - 3 && bytes[start] & 0xC0 == 0x80 { start -= 1 }
        guard start >= 0 else { return n }
        let lead = bytes[start]
        let expected: Int
        switch lead {
        case 0xC2...0xDF: expected = 2
        case 0xE0...0xEF: expected = 3
        case 0xF0...0xF4: expected = 4
        default: return n  // ASCII or a byte that cannot lead: nothing to wait for
        }
        let have = n - start
        guard have < expected else { return n }
        // Only wait if the bytes so far are a valid beginning (second byte in range for E0, ED, F0, F4).
        if have >= 2 {
            let second = bytes[start + 1]
            let valid: Bool
            switch lead {
            case 0xE0: valid = second >= 0xA0
            case 0xED: valid = second <= 0x9F
            case 0xF0: valid = second >= 0x90
            case 0xF4: valid = second <= 0x8F
            default: valid = true
            }
            if !valid { return n }
        }
        return start
    }
}
