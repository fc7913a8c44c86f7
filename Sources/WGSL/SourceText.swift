// WGSL source is UTF-8. A file that is not gets a diagnostic at its first bad byte, like any other
// error in the source, instead of a read failure that says neither where nor why.

public enum SourceText {
    /// The text of `bytes`, or a diagnostic at the first byte that is not well-formed UTF-8.
    public static func decode(_ bytes: [UInt8], fileName: String) throws -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        let offset = firstInvalidOffset(bytes) ?? 0
        let byte = String(bytes[offset], radix: 16, uppercase: true)
        throw WGSLDiagnostic(message: "invalid UTF-8 (byte 0x\(byte)): re-save the file as UTF-8, as WGSL requires",
                             span: SourceSpan(start: offset, end: offset + 1), source: bytes, fileName: fileName)
    }

    /// Where the first ill-formed sequence starts (Unicode's table of well-formed UTF-8 byte
    /// sequences), or nil if there is none.
    static func firstInvalidOffset(_ bytes: [UInt8]) -> Int? {
        var i = 0
        while i < bytes.count {
            let lead = bytes[i]
            let length: Int
            var secondRange: ClosedRange<UInt8> = 0x80...0xBF
            switch lead {
            case 0x00...0x7F: length = 1
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; secondRange = 0xA0...0xBF
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; secondRange = 0x80...0x9F
            case 0xF0: length = 4; secondRange = 0x90...0xBF
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; secondRange = 0x80...0x8F
            default: return i
            }
            if i + length > bytes.count { return i }
            for k in 1..<max(1, length) {
                let range = k == 1 ? secondRange : 0x80...0xBF
                if !range.contains(bytes[i + k]) { return i }
            }
            i += length
        }
        return nil
    }
}
