/// A forward-only reader over a ByteSource that fetches in growing chunks.
///
/// The metadata of a GGUF file is thousands of tiny fields (a full vocabulary is ~650 000
/// strings); reading each one from the source would cost a syscall or an HTTP round trip apiece.
/// The cursor keeps one buffer, refilled from the current position with chunks that double
/// from `initialChunk` up to `maximumChunk`, so a small file costs one read and a remote header
/// a handful of ranges, and the whole file is never held in memory.
final class ByteCursor {
    let source: ByteSource
    /// Absolute offset of the next byte to read.
    private(set) var position: UInt64
    private var buffer: [UInt8]
    /// Absolute offset of buffer[0].
    private var bufferStart: UInt64
    private var bufferCount = 0
    private var nextChunk: Int
    private let maximumChunk: Int

    init(source: ByteSource, at position: UInt64 = 0, initialChunk: Int = 64 << 10, maximumChunk: Int = 4 << 20) {
        self.source = source
        self.position = position
        self.bufferStart = position
        self.nextChunk = initialChunk
        self.maximumChunk = max(initialChunk, maximumChunk)
        self.buffer = []
    }

    var remaining: UInt64 { source.size &- position }

    /// Throws `truncated` unless `count` more bytes exist in the source.
    func require(_ count: UInt64, _ field: @autoclosure () -> String) throws {
        guard position <= source.size, count <= source.size - position else {
            throw GGUFError.truncated(source: source.name, field: field(), offset: position, needed: count - min(count, remaining))
        }
    }

    /// Makes sure `count` bytes at `position` are in the buffer (count ≤ maximumChunk).
    @inline(__always)
    private func buffered(_ count: Int, _ field: () -> String) throws -> Int {
        let index = Int(position - bufferStart)
        if index + count <= bufferCount { return index }
        try refill(count, field)
        return 0
    }

    private func refill(_ count: Int, _ field: () -> String) throws {
        try require(UInt64(count), field())
        let keepFrom = Int(position - bufferStart)
        let kept = max(0, bufferCount - keepFrom)
        let want = min(UInt64(max(nextChunk, count)), remaining)
        let wantInt = Int(want)
        if buffer.count < wantInt { buffer.append(contentsOf: repeatElement(0, count: wantInt - buffer.count)) }
        try buffer.withUnsafeMutableBytes { raw in
            if kept > 0 { raw.baseAddress!.copyMemory(from: raw.baseAddress! + keepFrom, byteCount: kept) }
            let rest = UnsafeMutableRawBufferPointer(rebasing: raw[kept..<wantInt])
            if !rest.isEmpty { try source.read(at: position + UInt64(kept), into: rest) }
        }
        bufferStart = position
        bufferCount = wantInt
        nextChunk = min(nextChunk * 2, maximumChunk)
    }

    func skip(_ count: UInt64, _ field: @autoclosure () -> String) throws {
        try require(count, field())
        position += count
    }

    @inline(__always)
    private func readLE<T: FixedWidthInteger>(_: T.Type, _ field: () -> String) throws -> T {
        let size = MemoryLayout<T>.size
        let index = try buffered(size, field)
        position += UInt64(size)
        return buffer.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: index, as: T.self)) }
    }

    func uint8(_ field: @autoclosure () -> String) throws -> UInt8 { try readLE(UInt8.self, field) }
    func uint16(_ field: @autoclosure () -> String) throws -> UInt16 { try readLE(UInt16.self, field) }
    func uint32(_ field: @autoclosure () -> String) throws -> UInt32 { try readLE(UInt32.self, field) }
    func uint64(_ field: @autoclosure () -> String) throws -> UInt64 { try readLE(UInt64.self, field) }

    /// A GGUF string: uint64 byte length then UTF-8 bytes (no terminator). The length is checked
    /// against `maxLength` (ggml's 1 GiB unless the caller is stricter; `tooLong` makes the error
    /// for that case, given the offset of the length) and the rest of the file before anything
    /// is allocated.
    func string(_ field: @autoclosure () -> String, maxLength: UInt64 = GGUFLimits.maxStringLength,
                tooLong: ((_ length: UInt64, _ lengthOffset: UInt64) -> GGUFError)? = nil) throws -> String {
        let lengthOffset = position
        let length = try uint64(field() + " length")
        guard length <= maxLength else {
            throw tooLong?(length, lengthOffset) ?? GGUFError.overLimit(source: source.name, field: field() + " length",
                                                                       offset: lengthOffset, count: length, limit: maxLength)
        }
        guard length <= remaining else {
            throw GGUFError.implausibleCount(source: source.name, field: field() + " length", offset: lengthOffset,
                                             count: length, limit: remaining)
        }
        let count = Int(length)
        let start = position
        let decoded: String?
        if count <= maximumChunk {
            let index = try buffered(count, field)
            decoded = buffer.withUnsafeBufferPointer {
                String(validating: UnsafeBufferPointer(rebasing: $0[index..<index + count]), as: UTF8.self)
            }
            position += length
        } else {
            var bytes = [UInt8](repeating: 0, count: count)
            try bytes.withUnsafeMutableBytes { try self.bytes(into: $0, field()) }
            decoded = String(validating: bytes, as: UTF8.self)
        }
        guard let text = decoded else { throw GGUFError.invalidUTF8(source: source.name, field: field(), offset: start) }
        return text
    }

    /// Copies the next `destination.count` bytes; large copies bypass the buffer.
    func bytes(into destination: UnsafeMutableRawBufferPointer, _ field: @autoclosure () -> String) throws {
        let count = destination.count
        try require(UInt64(count), field())
        let index = Int(position - bufferStart)
        let inBuffer = max(0, min(count, bufferCount - index))
        if inBuffer > 0 {
            buffer.withUnsafeBytes { destination.baseAddress!.copyMemory(from: $0.baseAddress! + index, byteCount: inBuffer) }
            position += UInt64(inBuffer)
        }
        let rest = count - inBuffer
        guard rest > 0 else { return }
        if rest <= maximumChunk / 2 {
            let at = try buffered(rest, field)
            buffer.withUnsafeBytes { (destination.baseAddress! + inBuffer).copyMemory(from: $0.baseAddress! + at, byteCount: rest) }
        } else {
            try source.read(at: position, into: UnsafeMutableRawBufferPointer(rebasing: destination[inBuffer...]))
            bufferStart = position + UInt64(rest)
            bufferCount = 0
        }
        position += UInt64(rest)
    }
}
