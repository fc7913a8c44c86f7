/// GPT-2's reversible byte → printable-character mapping, the form in which byte-level BPE
/// vocabularies (GGUF `tokenizer.ggml.tokens`, HF tokenizer.json) spell their tokens.
///
/// Printable bytes ('!'...'~', '¡'...'¬', '®'...'ÿ') stand for themselves; the other 68 bytes are
/// moved, in byte order, to U+0100 and up, so that no token contains spaces or control characters.
public enum ByteLevelAlphabet {
    /// The character that spells each byte.
    public static let scalarForByte: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var nextShifted: UInt32 = 256
        for byte in 0..<256 {
            if isPrintable(UInt8(byte)) {
                table[byte] = Unicode.Scalar(UInt32(byte))!
            } else {
                table[byte] = Unicode.Scalar(nextShifted)!
                nextShifted += 1
            }
        }
        return table
    }()

    /// The inverse of `scalarForByte`, indexed by scalar value (< 324); -1 where no byte maps.
    static let byteForScalarValue: [Int16] = {
        var table = [Int16](repeating: -1, count: 324)
        for (byte, scalar) in scalarForByte.enumerated() { table[Int(scalar.value)] = Int16(byte) }
        return table
    }()

    private static func isPrintable(_ byte: UInt8) -> Bool {
        (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
    }

    /// The UTF-8 spelling of each byte's character (1 or 2 bytes), packed low byte first, with
    /// the length in the top byte: building token strings from these is several times faster
    /// than appending Unicode scalars one by one.
    private static let utf8ForByte: [UInt32] = scalarForByte.map { scalar in
        let utf8 = Array(String(scalar).utf8)
        return utf8.count == 1 ? (1 << 24) | UInt32(utf8[0]) : (2 << 24) | UInt32(utf8[0]) | (UInt32(utf8[1]) << 8)
    }

    /// Spells raw bytes as a byte-level token string.
    public static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var utf8: [UInt8] = []
        utf8.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            let packed = utf8ForByte[Int(byte)]
            utf8.append(UInt8(truncatingIfNeeded: packed))
            if packed >> 24 == 2 { utf8.append(UInt8(truncatingIfNeeded: packed >> 8)) }
        }
        return String(decoding: utf8, as: UTF8.self)
    }

    /// Turns a byte-level token string back into bytes, appending to `bytes`; false if some
    /// character is not in the alphabet (then `bytes` holds a partial result).
    static func decode(_ token: String, appendingTo bytes: inout [UInt8]) -> Bool {
        var token = token
        return token.withUTF8 { decode(utf8: $0, appendingTo: &bytes) }
    }

    /// The same from the token's UTF-8: every character of the alphabet is below U+0144, so it
    /// is one or two UTF-8 bytes, decoded here without going through String.
    static func decode(utf8: UnsafeBufferPointer<UInt8>, appendingTo bytes: inout [UInt8]) -> Bool {
        var i = 0
        while i < utf8.count {
            let lead = utf8[i]
            let value: Int
            if lead < 0x80 {
                value = Int(lead)
                i += 1
            } else if lead & 0xE0 == 0xC0, i + 1 < utf8.count {
                value = (Int(lead & 0x1F) << 6) | Int(utf8[i + 1] & 0x3F)
                i += 2
            } else {
                return false
            }
            guard value < byteForScalarValue.count, byteForScalarValue[value] >= 0 else { return false }
            bytes.append(UInt8(byteForScalarValue[value]))
        }
        return true
    }
}
