import ArgumentParser
import Foundation

/// The command line as the kernel passed it. Swift's `CommandLine.arguments` decodes each
/// argument with repair, so invalid UTF-8 in `--prompt "…"` would silently become U+FFFD; the raw
/// bytes are checked here first, and such an argument is refused as `--file` refuses such a file.
enum ArgumentBytes {
    /// The raw bytes of every argument after the program name.
    static func current() -> [[UInt8]] {
        (1 ..< Int(CommandLine.argc)).map { index in
            guard let pointer = CommandLine.unsafeArgv[index] else { return [] }
            return Array(UnsafeBufferPointer(start: pointer, count: strlen(pointer))).map { UInt8(bitPattern: $0) }
        }
    }

    /// A one-line description of the first argument that is not valid UTF-8, naming the option
    /// it belongs to and the first bad byte; nil when every argument is valid.
    static func firstInvalidUTF8(in arguments: [[UInt8]]) -> String? {
        for (index, bytes) in arguments.enumerated() {
            guard let offset = firstInvalidOffset(bytes) else { continue }
            let byte = String(format: "0x%02X", bytes[offset])
            let hint = "Hint: pass text as UTF-8 (iconv -t UTF-8 converts it)."
            if let equals = bytes.firstIndex(of: UInt8(ascii: "=")), equals < offset, bytes.starts(with: Array("--".utf8)) {
                let name = String(decoding: bytes[..<equals], as: UTF8.self)
                return "the value of \(name) is not valid UTF-8 text (byte \(byte) at offset \(offset - equals - 1)). \(hint)"
            }
            if index > 0, arguments[index - 1].first == UInt8(ascii: "-"), firstInvalidOffset(arguments[index - 1]) == nil {
                let name = String(decoding: arguments[index - 1], as: UTF8.self)
                return "the value of \(name) is not valid UTF-8 text (byte \(byte) at offset \(offset)). \(hint)"
            }
            return "argument \(index + 1) is not valid UTF-8 text (byte \(byte) at offset \(offset)). \(hint)"
        }
        return nil
    }

    /// Offset of the first byte that does not belong to a well-formed UTF-8 sequence.
    static func firstInvalidOffset(_ bytes: [UInt8]) -> Int? {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var offset = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                offset += UTF8.width(scalar)
            case .emptyInput:
                return nil
            case .error:
                return offset
            }
        }
    }
}
