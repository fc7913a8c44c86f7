import Foundation

/// Everything that can go wrong reading, writing or fetching GGUF. Each message names the source,
/// the field and its byte offset where there is one, and says what to do next.
public enum GGUFError: LocalizedError, Equatable {
    // MARK: - Header
    case badMagic(source: String, found: [UInt8])
    case unsupportedVersion(source: String, version: UInt32)
    case bigEndianFile(source: String)

    // MARK: - Structure
    /// The file ends before `field` (needed `needed` bytes at `offset`).
    case truncated(source: String, field: String, offset: UInt64, needed: UInt64)
    /// A count or length that cannot fit in the rest of the file.
    case implausibleCount(source: String, field: String, offset: UInt64, count: UInt64, limit: UInt64)
    case unknownValueType(source: String, field: String, offset: UInt64, raw: UInt32)
    case invalidUTF8(source: String, field: String, offset: UInt64)
    case nestingTooDeep(source: String, field: String, offset: UInt64)
    case duplicateKey(source: String, key: String, offset: UInt64)
    case badAlignment(source: String, detail: String)

    // MARK: - Tensors
    case unknownTensorType(source: String, tensor: String, offset: UInt64, raw: UInt32)
    case tooManyDimensions(source: String, tensor: String, offset: UInt64, count: UInt32)
    case invalidDimensions(source: String, tensor: String, offset: UInt64, dimensions: [UInt64], reason: String)
    case duplicateTensor(source: String, tensor: String, offset: UInt64)
    case misalignedTensor(source: String, tensor: String, offset: UInt64, dataOffset: UInt64, alignment: UInt64)
    case tensorOutOfBounds(source: String, tensor: String, start: UInt64, end: UInt64, fileSize: UInt64)
    case tensorBufferSize(tensor: String, expected: UInt64, got: Int)

    // MARK: - Split files
    case splitPart(source: String, detail: String)

    // MARK: - I/O
    case io(source: String, detail: String)
    case http(source: String, detail: String)
    case rangeNotSupported(source: String)
    case rangeLength(source: String, offset: UInt64, expected: UInt64, got: UInt64)

    // MARK: - Writer
    case writer(detail: String)

    public var errorDescription: String? {
        switch self {
        case .badMagic(let s, let found):
            let text = found.map { (0x20..<0x7f).contains($0) ? String(UnicodeScalar($0)) : "." }.joined()
            return "\(s): not a GGUF file (first bytes \"\(text)\", expected \"GGUF\"). Check the path or URL points at a .gguf file."
        case .unsupportedVersion(let s, let v):
            return "\(s): GGUF version \(v) is not supported (versions 2 and 3 are). Re-convert the model with a current llama.cpp or gguf-py."
        case .bigEndianFile(let s):
            return "\(s): this is a big-endian GGUF file; only little-endian files are supported. Convert it with gguf-py without --bigendian."
        case .truncated(let s, let field, let off, let needed):
            return "\(s): file ends inside \(field) at byte offset \(off) (needs \(needed) more bytes). The file is truncated: download it again."
        case .implausibleCount(let s, let field, let off, let count, let limit):
            return "\(s): \(field) at byte offset \(off) is \(count), but at most \(limit) could fit in the rest of the file. The file is truncated or corrupt."
        case .unknownValueType(let s, let field, let off, let raw):
            return "\(s): \(field) at byte offset \(off) has unknown value type \(raw) (known: 0...12). The file is corrupt or from a newer GGUF version."
        case .invalidUTF8(let s, let field, let off):
            return "\(s): \(field) at byte offset \(off) is not valid UTF-8. The file is corrupt."
        case .nestingTooDeep(let s, let field, let off):
            return "\(s): \(field) at byte offset \(off) nests arrays too deeply (limit \(GGUFLimits.maxArrayNesting)). The file is corrupt."
        case .duplicateKey(let s, let key, let off):
            return "\(s): metadata key '\(key)' at byte offset \(off) appears twice. The file is corrupt."
        case .badAlignment(let s, let detail):
            return "\(s): general.alignment \(detail). It must be a uint32 power of two."
        case .unknownTensorType(let s, let t, let off, let raw):
            return "\(s): tensor '\(t)' at byte offset \(off) has unknown ggml type \(raw). The file is corrupt or uses a type newer than this reader."
        case .tooManyDimensions(let s, let t, let off, let n):
            return "\(s): tensor '\(t)' at byte offset \(off) has \(n) dimensions (at most \(GGUFLimits.maxDimensions)). The file is corrupt."
        case .invalidDimensions(let s, let t, let off, let dims, let reason):
            return "\(s): tensor '\(t)' at byte offset \(off) has shape \(dims): \(reason). The file is corrupt."
        case .duplicateTensor(let s, let t, let off):
            return "\(s): tensor name '\(t)' at byte offset \(off) appears twice. The file is corrupt."
        case .misalignedTensor(let s, let t, let off, let value, let a):
            return "\(s): tensor '\(t)' has data offset \(value) (stored at byte offset \(off)), not a multiple of the alignment \(a). The file is corrupt."
        case .tensorOutOfBounds(let s, let t, let start, let end, let size):
            return "\(s): tensor '\(t)' data spans bytes \(start)..<\(end), past the end of the file (\(size) bytes). The file is truncated: download it again."
        case .tensorBufferSize(let t, let expected, let got):
            return "tensor '\(t)' holds \(expected) bytes but the destination buffer has \(got)."
        case .splitPart(let s, let detail):
            return "\(s): split model: \(detail)"
        case .io(let s, let detail):
            return "\(s): \(detail)"
        case .http(let s, let detail):
            return "\(s): \(detail)"
        case .rangeNotSupported:
            return "Host does not support HTTP Range requests: serve the file with 'gptoss-gl serve' or another server that does."
        case .rangeLength(let s, let off, let expected, let got):
            let what = got > expected ? "more than the \(expected) bytes asked for" : "\(got) bytes instead of \(expected)"
            return "\(s): the range at byte offset \(off) returned \(what). The server or a proxy altered the reply; try again or serve the file with 'gptoss-gl serve'."
        case .writer(let detail):
            return "GGUF writer: \(detail)"
        }
    }
}

/// Structural limits of the reader, beyond which a file is taken as corrupt.
public enum GGUFLimits {
    /// ggml tensors have at most four dimensions.
    public static let maxDimensions: UInt32 = 4
    /// Arrays of arrays deeper than this are refused (no real file nests more than once).
    public static let maxArrayNesting = 8
    /// Keys and tensor names longer than this are refused (ggml's own limit on names is 64).
    public static let maxNameLength: UInt64 = 65_536
}
