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
    /// A count or length above the limit ggml's reader enforces whatever the file size.
    case overLimit(source: String, field: String, offset: UInt64, count: UInt64, limit: UInt64)
    case arrayOfArrays(source: String, field: String, offset: UInt64)
    case emptyKey(source: String, index: Int, offset: UInt64)
    case duplicateKey(source: String, key: String, offset: UInt64)
    /// `offset` is where the general.alignment entry starts.
    case badAlignment(source: String, offset: UInt64, detail: String)

    // MARK: - Tensors
    case unknownTensorType(source: String, tensor: String, offset: UInt64, raw: UInt32)
    case tooManyDimensions(source: String, tensor: String, offset: UInt64, count: UInt32)
    case invalidDimensions(source: String, tensor: String, offset: UInt64, dimensions: [UInt64], reason: String)
    case tensorNameTooLong(source: String, index: Int, offset: UInt64, length: UInt64)
    case duplicateTensor(source: String, tensor: String, offset: UInt64)
    case misalignedTensor(source: String, tensor: String, offset: UInt64, dataOffset: UInt64, alignment: UInt64)
    /// Data that starts inside an earlier tensor's data (`other` spans `otherStart..<otherEnd`,
    /// offsets relative to the data section).
    case tensorOverlap(source: String, tensor: String, offset: UInt64, dataOffset: UInt64,
                       other: String, otherStart: UInt64, otherEnd: UInt64)
    /// Data that does not start where the previous tensor's padded data ends (a gap, or tensors
    /// listed out of order): ggml's reader requires them back to back.
    case tensorGap(source: String, tensor: String, offset: UInt64, dataOffset: UInt64, expected: UInt64)
    case tensorOutOfBounds(source: String, tensor: String, start: UInt64, end: UInt64, fileSize: UInt64)
    case tensorBufferSize(tensor: String, expected: UInt64, got: Int)

    // MARK: - Split files
    case splitPart(source: String, detail: String)

    // MARK: - I/O
    case io(source: String, detail: String)
    case http(source: String, detail: String)
    case rangeNotSupported(source: String)
    /// The file on the server is not the one the first request saw (`detail` says which
    /// validator changed): reading on would mix two files.
    case remoteFileChanged(source: String, detail: String)
    case tooManyRedirects(source: String, limit: Int)
    /// Fewer than `limit` bytes/s arrived over `seconds`.
    case tooSlow(source: String, bytes: Int, seconds: Double, limit: Int)
    case rangeLength(source: String, offset: UInt64, expected: UInt64, got: UInt64)

    // MARK: - Writer
    case writer(detail: String)

    /// The message, with any control character or escape sequence a file smuggled in through a
    /// key, name or field shown escaped instead of reaching the terminal.
    public var errorDescription: String? { TerminalText.escaped(rawDescription) }

    private var rawDescription: String {
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
        case .overLimit(let s, let field, let off, let count, let limit):
            return "\(s): \(field) at byte offset \(off) is \(count), above the limit of \(limit) that ggml's reader enforces. The file is corrupt or not loadable by llama.cpp either."
        case .arrayOfArrays(let s, let field, let off):
            return "\(s): \(field) at byte offset \(off) is an array of arrays, which GGUF readers (ggml's included) refuse. Re-convert the file with gguf-py or llama.cpp."
        case .emptyKey(let s, let index, let off):
            return "\(s): metadata entry \(index) at byte offset \(off) has an empty key. The file is corrupt."
        case .duplicateKey(let s, let key, let off):
            return "\(s): metadata key '\(key)' at byte offset \(off) appears twice. The file is corrupt."
        case .badAlignment(let s, let off, let detail):
            return "\(s): general.alignment (entry at byte offset \(off)) \(detail); it must be a uint32 power of two. The file is corrupt."
        case .unknownTensorType(let s, let t, let off, let raw):
            return "\(s): tensor '\(t)' at byte offset \(off) has unknown ggml type \(raw). The file is corrupt or uses a type newer than this reader."
        case .tooManyDimensions(let s, let t, let off, let n):
            return "\(s): tensor '\(t)' at byte offset \(off) has \(n) dimensions (at most \(GGUFLimits.maxDimensions)). The file is corrupt."
        case .invalidDimensions(let s, let t, let off, let dims, let reason):
            return "\(s): tensor '\(t)' at byte offset \(off) has shape \(dims): \(reason). The file is corrupt."
        case .tensorNameTooLong(let s, let index, let off, let length):
            return "\(s): tensor \(index) at byte offset \(off) has a name of \(length) bytes; ggml allows at most \(GGUFLimits.maxTensorNameLength). The file is corrupt or not loadable by llama.cpp either."
        case .duplicateTensor(let s, let t, let off):
            return "\(s): tensor name '\(t)' at byte offset \(off) appears twice. The file is corrupt."
        case .misalignedTensor(let s, let t, let off, let value, let a):
            return "\(s): tensor '\(t)' has data offset \(value) (stored at byte offset \(off)), not a multiple of the alignment \(a). The file is corrupt."
        case .tensorOverlap(let s, let t, let off, let value, let other, let otherStart, let otherEnd):
            return "\(s): tensor '\(t)' has data offset \(value) (stored at byte offset \(off)), inside the data of tensor '\(other)' (\(otherStart)..<\(otherEnd)). Tensor data must not overlap: the file is corrupt."
        case .tensorGap(let s, let t, let off, let value, let expected):
            return "\(s): tensor '\(t)' has data offset \(value) (stored at byte offset \(off)) but the tensors before it end at \(expected); tensors must follow each other in order, each padded to the alignment (as ggml requires). The file is corrupt: re-convert it."
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
        case .rangeNotSupported(let s):
            return "\(s): the server ignored the Range request and began sending the whole file (HTTP 200); the transfer was stopped at its first bytes, since a model is read by ranges. Download the file (curl -o model.gguf URL) and pass its path, or serve it with 'gptoss-gl serve' or another server that honours Range."
        case .remoteFileChanged(let s, let detail):
            return "\(s): the file changed on the server while it was being read (\(detail)); its parts would come from two versions. Open it again once the upload is finished, or download it first."
        case .tooManyRedirects(let s, let limit):
            return "\(s): more than \(limit) redirects (a redirect loop?). Check the URL, or use the final URL the host hands out."
        case .tooSlow(let s, let bytes, let seconds, let limit):
            return "\(s): the server sent \(bytes) bytes in \(String(format: "%.1f", seconds)) s, below the minimum of \(limit) bytes/s; it is too slow or overloaded. Try again later or another mirror, or change the limit with GPTOSS_GL_HTTP_LOW_SPEED=BYTES_PER_S:SECONDS (0 turns it off)."
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
    /// Tensor names are at most 63 bytes: ggml stores them in 64-byte buffers with a terminator.
    public static let maxTensorNameLength: UInt64 = 63
    /// ggml's reader refuses strings (keys, values, names) longer than 1 GiB…
    public static let maxStringLength: UInt64 = 1 << 30
    /// …and arrays of more than 2^30 elements, whatever the file size.
    public static let maxArrayLength: UInt64 = 1 << 30
}
