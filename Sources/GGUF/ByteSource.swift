/// Where GGUF bytes come from: a local file or an HTTP(S) URL read by Range requests.
///
/// The reader never asks for a whole file: metadata arrives by small incremental reads and
/// tensor data by (offset, length). Implementations return exactly the bytes asked for or throw;
/// a short read is an error, never silently fewer bytes.
public protocol ByteSource: AnyObject, Sendable {
    /// Total size in bytes, known before the first read (stat for files, the first Range reply for URLs).
    var size: UInt64 { get }
    /// A human-readable name for errors and telemetry: the path or the URL.
    var name: String { get }
    /// Fills `buffer` with the bytes at `offset ..< offset + buffer.count`.
    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws
}

extension ByteSource {
    /// Reads `length` bytes at `offset` into a new array.
    public func read(at offset: UInt64, length: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: length)
        try bytes.withUnsafeMutableBytes { try read(at: offset, into: $0) }
        return bytes
    }
}
