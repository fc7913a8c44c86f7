import Foundation

/// How `GGUFFile.open` fetches bytes.
public struct GGUFOpenOptions: Sendable {
    /// Settings for http(s) locations (ranges in flight, retries, timeouts, progress).
    public var http: HTTPOptions
    public init(http: HTTPOptions = HTTPOptions()) { self.http = http }
}

/// A parsed GGUF model: metadata and one tensor table over one file or all parts of a split model.
///
/// Only the header is read when opening; tensor bytes are fetched on demand with
/// `readTensorData`, from whichever source (part) holds them.
public final class GGUFFile: @unchecked Sendable {
    /// The sources the tensors live in: one per split part, in part order.
    public let sources: [ByteSource]
    public let version: UInt32
    /// Metadata keys in file order (of the first part).
    public let metadataKeys: [String]
    public let metadata: [String: GGUFValue]
    /// All tensors of all parts, in file order.
    public let tensors: [GGUFTensorInfo]
    /// `general.alignment` of the first part (32 when absent).
    public let alignment: UInt64
    /// Start of each source's data section.
    public let dataOffsets: [UInt64]
    private let tensorIndex: [String: Int]

    /// Opens a path or an http(s) URL; for a split model (any part) opens all parts.
    public static func open(_ location: String, options: GGUFOpenOptions = GGUFOpenOptions()) throws -> GGUFFile {
        let first = try makeSource(location, options: options)
        let firstHeader = try GGUFHeaderParser(source: first, sourceIndex: 0).parse()
        let count = firstHeader.metadata["split.count"]?.intValue ?? 1
        guard count > 1 else { return try GGUFFile(parts: [(first, firstHeader)]) }
        guard let locations = SplitNaming.partLocations(for: location, count: count) else {
            throw GGUFError.splitPart(source: location, detail:
                "the file says it is one of \(count) parts, but its name does not end in -0000N-of-\(String(format: "%05d", count)).gguf; keep the parts' original names so they can be found.")
        }
        var parts: [(ByteSource, GGUFHeader)] = []
        for (index, partLocation) in locations.enumerated() {
            if partLocation == location {
                // Already parsed: only the part index of its tensors changes.
                var header = firstHeader
                header.tensors = header.tensors.map {
                    GGUFTensorInfo(name: $0.name, dimensions: $0.dimensions, type: $0.type, offset: $0.offset,
                                   byteCount: $0.byteCount, sourceIndex: index)
                }
                parts.append((first, header))
            } else {
                let source = try makeSource(partLocation, options: options)
                parts.append((source, try GGUFHeaderParser(source: source, sourceIndex: index).parse()))
            }
        }
        return try GGUFFile(parts: parts)
    }

    /// A byte source for a path or an http(s) URL.
    public static func makeSource(_ location: String, options: GGUFOpenOptions = GGUFOpenOptions()) throws -> ByteSource {
        let lowered = location.lowercased()
        if lowered.hasPrefix("http://") || lowered.hasPrefix("https://") {
            return try HTTPByteSource(url: location, options: options.http)
        }
        return try FileByteSource(path: location)
    }

    /// Parses one complete (unsplit) GGUF.
    public convenience init(source: ByteSource) throws {
        try self.init(sources: [source])
    }

    /// Parses a split model from all its parts, in part order (or one unsplit file).
    public convenience init(sources: [ByteSource]) throws {
        let parts = try sources.enumerated().map { index, source in
            (source, try GGUFHeaderParser(source: source, sourceIndex: index).parse())
        }
        try self.init(parts: parts)
    }

    private init(parts: [(ByteSource, GGUFHeader)]) throws {
        guard let (firstSource, first) = parts.first else {
            throw GGUFError.splitPart(source: "(none)", detail: "no sources were given")
        }
        let declaredCount = first.metadata["split.count"]?.intValue ?? 1
        guard declaredCount == parts.count || (declaredCount <= 1 && parts.count == 1) else {
            throw GGUFError.splitPart(source: firstSource.name, detail:
                "the file says the model has \(declaredCount) parts but \(parts.count) were given; open the first part by path or URL so the others are found.")
        }
        var tensors: [GGUFTensorInfo] = []
        var index: [String: Int] = [:]
        for (partIndex, (source, header)) in parts.enumerated() where parts.count > 1 {
            let partCount = header.metadata["split.count"]?.intValue
            let partNumber = header.metadata["split.no"]?.intValue
            guard partCount == parts.count, partNumber == partIndex else {
                throw GGUFError.splitPart(source: source.name, detail:
                    "expected part \(partIndex + 1) of \(parts.count) but the file says split.no=\(partNumber.map(String.init) ?? "absent") (0-based) of split.count=\(partCount.map(String.init) ?? "absent"); the parts do not belong together.")
            }
        }
        for (source, header) in parts {
            for tensor in header.tensors {
                guard index.updateValue(tensors.count, forKey: tensor.name) == nil else {
                    throw GGUFError.duplicateTensor(source: source.name, tensor: tensor.name, offset: tensor.offset)
                }
                tensors.append(tensor)
            }
        }
        if parts.count > 1, let declared = first.metadata["split.tensors.count"]?.intValue, declared != tensors.count {
            throw GGUFError.splitPart(source: firstSource.name, detail:
                "split.tensors.count is \(declared) but the parts hold \(tensors.count) tensors; a part is missing or from another model.")
        }
        self.sources = parts.map { $0.0 }
        self.version = first.version
        self.metadataKeys = first.metadataKeys
        self.metadata = first.metadata
        self.tensors = tensors
        self.alignment = first.alignment
        self.dataOffsets = parts.map { $0.1.dataOffset }
        self.tensorIndex = index
    }

    // MARK: - Tensors

    public func tensor(named name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// Reads all bytes of `tensor`; the buffer must be exactly `tensor.byteCount` long.
    public func readTensorData(_ tensor: GGUFTensorInfo, into buffer: UnsafeMutableRawBufferPointer) throws {
        guard UInt64(buffer.count) == tensor.byteCount else {
            throw GGUFError.tensorBufferSize(tensor: tensor.name, expected: tensor.byteCount, got: buffer.count)
        }
        try readTensorBytes(tensor, at: 0, into: buffer)
    }

    /// Reads part of `tensor`: `buffer.count` bytes starting `offset` bytes into its data
    /// (for streaming a large tensor in pieces).
    public func readTensorBytes(_ tensor: GGUFTensorInfo, at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws {
        guard offset <= tensor.byteCount, UInt64(buffer.count) <= tensor.byteCount - offset else {
            throw GGUFError.tensorBufferSize(tensor: tensor.name, expected: tensor.byteCount &- offset, got: buffer.count)
        }
        guard tensor.sourceIndex >= 0, tensor.sourceIndex < sources.count else {
            throw GGUFError.splitPart(source: tensor.name, detail: "tensor refers to part \(tensor.sourceIndex + 1), which this file does not have")
        }
        if buffer.isEmpty { return }
        try sources[tensor.sourceIndex].read(at: tensor.offset + offset, into: buffer)
    }

    /// All bytes of `tensor` in a new array.
    public func tensorData(_ tensor: GGUFTensorInfo) throws -> [UInt8] {
        guard let count = Int(exactly: tensor.byteCount) else {
            throw GGUFError.tensorBufferSize(tensor: tensor.name, expected: tensor.byteCount, got: Int.max)
        }
        var bytes = [UInt8](repeating: 0, count: count)
        try bytes.withUnsafeMutableBytes { try readTensorData(tensor, into: $0) }
        return bytes
    }

    // MARK: - Metadata accessors (nil when absent or of another type)

    public subscript(key: String) -> GGUFValue? { metadata[key] }
    public func value(_ key: String) -> GGUFValue? { metadata[key] }
    public func string(_ key: String) -> String? { metadata[key]?.stringValue }
    public func bool(_ key: String) -> Bool? { metadata[key]?.boolValue }
    /// Any integer type, when it fits in Int.
    public func int(_ key: String) -> Int? { metadata[key]?.intValue }
    public func uint32(_ key: String) -> UInt32? { int(key).flatMap(UInt32.init(exactly:)) }
    /// Any numeric type as Float.
    public func float(_ key: String) -> Float? { metadata[key]?.doubleValue.map(Float.init) }
    public func double(_ key: String) -> Double? { metadata[key]?.doubleValue }
    public func array(_ key: String) -> GGUFArray? { metadata[key]?.arrayValue }
    public func stringArray(_ key: String) -> [String]? { array(key)?.strings }
    /// Integer arrays as Int32 (nil when an element does not fit).
    public func int32Array(_ key: String) -> [Int32]? {
        guard let array = array(key) else { return nil }
        if case .int32(let values) = array.storage { return values }
        guard let ints = array.ints else { return nil }
        var out: [Int32] = []
        out.reserveCapacity(ints.count)
        for v in ints { guard let narrow = Int32(exactly: v) else { return nil }; out.append(narrow) }
        return out
    }
    public func intArray(_ key: String) -> [Int]? { array(key)?.ints }
    /// Numeric arrays as Float.
    public func floatArray(_ key: String) -> [Float]? { array(key)?.floats }
}
