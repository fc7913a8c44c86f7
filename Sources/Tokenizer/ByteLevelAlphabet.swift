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

    /// Spells raw bytes as a byte-level token string.
    public static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var scalars = String.UnicodeScalarView()
        for byte in bytes { scalars.append(scalarForByte[Int(byte)]) }
        return String(scalars)
    }

    /// Turns a byte-level token string back into bytes, appending to `bytes`; false if some
    /// character is not in the alphabet (then `bytes` holds a partial result).
    static func decode(_ token: String, appendingTo bytes: inout [UInt8]) -> Bool {
        for scalar in token.unicodeScalars {
            let value = Int(scalar.value)
            guard value < byteForScalarValue.count, byteForScalarValue[value] >= 0 else { return false }
            bytes.append(UInt8(byteForScalarValue[value]))
        }
        return true
    }
}
