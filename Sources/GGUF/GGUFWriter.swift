import Foundation

/// Writes GGUF v3 files: metadata of every type and tensors at aligned offsets.
///
/// Tensor bytes come either from memory or from a producer closure called while the file is
/// written, so a multi-gigabyte synthetic model streams to disk without being held in memory.
/// The file appears under its name only when complete: it is written to a temporary file in the
/// same directory and renamed at the end (and removed on any error).
public final class GGUFWriter {
    /// Receives a tensor's bytes in any number of pieces; the pieces must add up to its size.
    public typealias Emit = (UnsafeRawBufferPointer) throws -> Void
    public typealias Producer = (_ emit: Emit) throws -> Void

    public let alignment: Int
    private var keys: [String] = []
    private var values: [String: GGUFValue] = [:]
    private var tensors: [PendingTensor] = []
    private var tensorNames = Set<String>()

    private struct PendingTensor {
        var name: String
        var dimensions: [UInt64]
        var type: GGMLType
        var byteCount: UInt64
        var produce: Producer
    }

    public init(alignment: Int = 32) throws {
        guard alignment > 0, alignment & (alignment - 1) == 0, alignment <= Int(UInt32.max) else {
            throw GGUFError.writer(detail: "alignment \(alignment) is not a power of two")
        }
        self.alignment = alignment
        if alignment != Int(GGUFHeaderParser.defaultAlignment) { set("general.alignment", .uint32(UInt32(alignment))) }
    }

    /// Sets a metadata value; keys keep the order of their first `set`.
    public func set(_ key: String, _ value: GGUFValue) {
        if values.updateValue(value, forKey: key) == nil { keys.append(key) }
    }

    /// Adds a tensor whose bytes are in memory.
    public func addTensor(name: String, dimensions: [UInt64], type: GGMLType, data: [UInt8]) throws {
        try addTensor(name: name, dimensions: dimensions, type: type) { emit in
            try data.withUnsafeBytes { try emit($0) }
        }
    }

    /// Adds a tensor whose bytes `produce` writes when the file is written.
    public func addTensor(name: String, dimensions: [UInt64], type: GGMLType, produce: @escaping Producer) throws {
        guard UInt64(name.utf8.count) <= GGUFLimits.maxTensorNameLength else {
            throw GGUFError.writer(detail: "tensor name '\(name)' is \(name.utf8.count) bytes; ggml allows at most \(GGUFLimits.maxTensorNameLength)")
        }
        guard tensorNames.insert(name).inserted else { throw GGUFError.writer(detail: "tensor '\(name)' added twice") }
        guard !dimensions.isEmpty, dimensions.count <= Int(GGUFLimits.maxDimensions), !dimensions.contains(0) else {
            throw GGUFError.writer(detail: "tensor '\(name)' has shape \(dimensions); it needs 1 to 4 non-zero dimensions")
        }
        var elements: UInt64 = 1
        for d in dimensions {
            let (product, overflow) = elements.multipliedReportingOverflow(by: d)
            guard !overflow else { throw GGUFError.writer(detail: "tensor '\(name)' shape \(dimensions) overflows") }
            elements = product
        }
        guard dimensions[0] % UInt64(type.blockSize) == 0, let byteCount = type.bytes(forElements: elements) else {
            throw GGUFError.writer(detail: "tensor '\(name)' rows of \(dimensions[0]) are not whole \(type.name) blocks of \(type.blockSize)")
        }
        tensors.append(PendingTensor(name: name, dimensions: dimensions, type: type, byteCount: byteCount, produce: produce))
    }

    /// The header (everything before the data section), padded to the alignment.
    func encodedHeader() -> [UInt8] {
        var encoder = GGUFEncoder()
        encoder.bytes.append(contentsOf: GGUFHeaderParser.magic)
        encoder.append(UInt32(3))
        encoder.append(UInt64(tensors.count))
        encoder.append(UInt64(keys.count))
        for key in keys { encoder.append(key: key, value: values[key]!) }
        var offset: UInt64 = 0
        for tensor in tensors {
            encoder.appendTensorInfo(name: tensor.name, dimensions: tensor.dimensions, type: tensor.type.rawValue, offset: offset)
            offset = GGUFHeaderParser.align(offset + tensor.byteCount, to: UInt64(alignment))
        }
        encoder.pad(to: alignment)
        return encoder.bytes
    }

    /// Writes the file to `path` (via a temporary file and a rename).
    public func write(to path: String) throws {
        let declared = values["general.alignment"] ?? .uint32(UInt32(GGUFHeaderParser.defaultAlignment))
        guard declared == .uint32(UInt32(alignment)) else {
            throw GGUFError.writer(detail: "general.alignment is set to \(declared) but the writer aligns to \(alignment); pass the alignment to GGUFWriter(alignment:) instead")
        }
        // What ggml's reader refuses is never written.
        for key in keys {
            guard !key.isEmpty else { throw GGUFError.writer(detail: "a metadata key is empty") }
            if case .array(let array) = values[key]!, array.elementType == .array {
                throw GGUFError.writer(detail: "metadata '\(key)' is an array of arrays, which GGUF readers refuse")
            }
        }
        let temporary = path + ".partial-\(getpid())"
        let sink = try BufferedFileSink(path: temporary)
        do {
            try sink.write(encodedHeader())
            let padding = [UInt8](repeating: 0, count: alignment)
            for (index, tensor) in tensors.enumerated() {
                var written: UInt64 = 0
                try tensor.produce { piece in
                    guard written + UInt64(piece.count) <= tensor.byteCount else {
                        throw GGUFError.writer(detail: "tensor '\(tensor.name)' produced more than its \(tensor.byteCount) bytes")
                    }
                    try sink.write(piece)
                    written += UInt64(piece.count)
                }
                guard written == tensor.byteCount else {
                    throw GGUFError.writer(detail: "tensor '\(tensor.name)' produced \(written) of its \(tensor.byteCount) bytes")
                }
                if index + 1 < tensors.count {
                    let remainder = Int(tensor.byteCount % UInt64(alignment))
                    if remainder != 0 { try padding.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[0..<alignment - remainder])) } }
                }
            }
            try sink.close()
            guard rename(temporary, path) == 0 else {
                throw GGUFError.writer(detail: "cannot rename \(temporary) to \(path): \(String(cString: strerror(errno)))")
            }
        } catch {
            try? sink.close()
            unlink(temporary)
            throw error
        }
    }
}

/// A write-only file with a large buffer, so many small pieces cost few syscalls.
final class BufferedFileSink {
    private let path: String
    private var descriptor: Int32
    private var buffer: [UInt8] = []
    private let capacity = 8 << 20

    init(path: String) throws {
        self.path = path
        descriptor = Foundation.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw GGUFError.writer(detail: "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        buffer.reserveCapacity(capacity)
    }

    func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        if buffer.count + bytes.count > capacity { try flush() }
        if bytes.count >= capacity { try writeAll(bytes); return }
        buffer.append(contentsOf: bytes)
    }

    private func flush() throws {
        try buffer.withUnsafeBytes { try writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = Foundation.write(descriptor, bytes.baseAddress! + done, bytes.count - done)
            if n > 0 { done += n; continue }
            if n < 0 && errno == EINTR { continue }
            throw GGUFError.writer(detail: "writing \(path) failed: \(String(cString: strerror(errno)))")
        }
    }

    func close() throws {
        guard descriptor >= 0 else { return }
        defer { Foundation.close(descriptor); descriptor = -1 }
        try flush()
    }
}
