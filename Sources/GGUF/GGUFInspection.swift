import Foundation

/// What `gptoss-gl inspect` shows about a model: metadata with arrays summarised, the tensor
/// table, totals by type, and for URLs how much was fetched. Text for people, JSON for tools.
public struct GGUFInspection {
    public let file: GGUFFile
    /// Array items shown per metadata array.
    public var arrayPreview: Int
    /// Tensor rows shown (nil: all).
    public var tensorLimit: Int?

    public init(file: GGUFFile, arrayPreview: Int = 6, tensorLimit: Int? = nil) {
        self.file = file
        self.arrayPreview = arrayPreview
        self.tensorLimit = tensorLimit
    }

    /// Tensors, elements and bytes of one ggml type.
    public struct TypeTotal: Equatable {
        public let type: GGMLType
        public var tensors: Int
        public var elements: UInt64
        public var bytes: UInt64
    }

    /// Totals by type, largest byte count first.
    public var totalsByType: [TypeTotal] {
        var totals: [GGMLType: TypeTotal] = [:]
        for t in file.tensors {
            totals[t.type, default: TypeTotal(type: t.type, tensors: 0, elements: 0, bytes: 0)].tensors += 1
            totals[t.type]!.elements += t.elementCount
            totals[t.type]!.bytes += t.byteCount
        }
        return totals.values.sorted { $0.bytes != $1.bytes ? $0.bytes > $1.bytes : $0.type.rawValue < $1.type.rawValue }
    }

    // MARK: - Text

    public func text() -> String {
        var out = ""
        let totalSize = file.sources.reduce(UInt64(0)) { $0 + $1.size }
        let parts = file.sources.count == 1 ? "1 file" : "\(file.sources.count) split parts"
        out += "model: \(file.sources[0].name)\n"
        out += "format: GGUF v\(file.version), \(parts), \(Self.bytesText(totalSize)), alignment \(file.alignment)\n"
        if file.sources.count > 1 {
            for (i, source) in file.sources.enumerated() { out += "  part \(i + 1): \(source.name) (\(Self.bytesText(source.size)))\n" }
        }
        out += "\nmetadata (\(file.metadataKeys.count) keys):\n"
        // Keys and names come from the file: escaped like string values, so control characters
        // and escape sequences show as text instead of acting on the terminal.
        let keyWidth = min(48, file.metadataKeys.map { TerminalText.escaped($0).count }.max() ?? 0)
        for key in file.metadataKeys {
            guard let value = file.metadata[key] else { continue }
            out += "  " + Self.padded(TerminalText.escaped(key), keyWidth) + "  " + Self.padded(typeText(value), 16) + "  " + valueText(value) + "\n"
        }
        out += "\ntensors (\(file.tensors.count)):\n"
        let shown = tensorLimit.map { Array(file.tensors.prefix($0)) } ?? file.tensors
        let nameWidth = min(48, max(4, shown.map { TerminalText.escaped($0.name).count }.max() ?? 0))
        let shapeWidth = max(5, shown.map(\.shapeDescription.count).max() ?? 0)
        out += "  " + Self.padded("name", nameWidth) + "  " + Self.padded("type", 7) + "  " + Self.padded("shape", shapeWidth)
            + "  " + Self.leftPadded("offset", 14) + "  " + Self.leftPadded("bytes", 14) + (file.sources.count > 1 ? "  part" : "") + "\n"
        for t in shown {
            out += "  " + Self.padded(TerminalText.escaped(t.name), nameWidth) + "  " + Self.padded(t.type.name, 7) + "  " + Self.padded(t.shapeDescription, shapeWidth)
                + "  " + Self.leftPadded(String(t.offset), 14) + "  " + Self.leftPadded(String(t.byteCount), 14)
                + (file.sources.count > 1 ? "  \(t.sourceIndex + 1)" : "") + "\n"
        }
        if shown.count < file.tensors.count {
            out += "  … \(file.tensors.count - shown.count) more (raise --limit to see them)\n"
        }
        out += "\ntotals by type:\n"
        let totals = totalsByType
        let allBytes = totals.reduce(UInt64(0)) { $0 + $1.bytes }
        let allElements = totals.reduce(UInt64(0)) { $0 + $1.elements }
        for t in totals {
            let share = allBytes == 0 ? 0 : Double(t.bytes) / Double(allBytes) * 100
            out += "  " + Self.padded(t.type.name, 7) + "  " + Self.leftPadded("\(t.tensors) tensors", 12) + "  "
                + Self.leftPadded(Self.countText(t.elements) + " values", 16) + "  " + Self.leftPadded(Self.bytesText(t.bytes), 11)
                + "  " + String(format: "%5.1f%%", share) + "\n"
        }
        out += "  " + Self.padded("all", 7) + "  " + Self.leftPadded("\(file.tensors.count) tensors", 12) + "  "
            + Self.leftPadded(Self.countText(allElements) + " values", 16) + "  " + Self.leftPadded(Self.bytesText(allBytes), 11) + "\n"
        if let fetched = fetchSummary() { out += "\n" + fetched + "\n" }
        return out
    }

    /// "read 1.2 MiB of 11.3 GiB in 4 HTTP requests" for URL sources; nil for local files.
    public func fetchSummary() -> String? {
        let remote = file.sources.compactMap { $0 as? HTTPByteSource }
        guard !remote.isEmpty else { return nil }
        let fetched = remote.reduce(UInt64(0)) { $0 + $1.totalBytesFetched }
        let size = remote.reduce(UInt64(0)) { $0 + $1.size }
        let requests = remote.reduce(0) { $0 + $1.requestCount }
        return "network: read \(Self.bytesText(fetched)) (\(fetched) bytes) of \(Self.bytesText(size)) in \(requests) HTTP range request\(requests == 1 ? "" : "s")"
    }

    private func typeText(_ value: GGUFValue) -> String {
        guard case .array(let a) = value else { return value.type.description }
        return "[\(a.elementType) × \(a.count)]"
    }

    private func valueText(_ value: GGUFValue) -> String {
        switch value {
        case .string(let s): return Self.quoted(s, limit: 120)
        case .array(let a):
            let items = (0..<min(a.count, arrayPreview)).map { index -> String in
                let item = a[index]
                return item.type == .array ? "[" + valueText(item) + "]" : valueText(item)
            }
            return items.joined(separator: ", ") + (a.count > arrayPreview ? ", …" : "")
        case .float32(let f): return "\(f)"
        case .float64(let d): return "\(d)"
        case .bool(let b): return b ? "true" : "false"
        case .uint64(let u): return String(u)
        case .int64(let i): return String(i)
        default: return value.intValue.map(String.init) ?? "?"
        }
    }

    // MARK: - JSON

    public func json() -> JSONText {
        var fields: [(String, JSONText)] = [
            ("location", .string(file.sources[0].name)),
            ("version", .uint(UInt64(file.version))),
            ("alignment", .uint(file.alignment)),
            ("sources", .array(file.sources.enumerated().map { i, s in
                var entry: [(String, JSONText)] = [("name", .string(s.name)), ("size", .uint(s.size)), ("dataOffset", .uint(file.dataOffsets[i]))]
                if let http = s as? HTTPByteSource {
                    entry.append(("bytesFetched", .uint(http.totalBytesFetched)))
                    entry.append(("requests", .uint(UInt64(http.requestCount))))
                }
                return .object(entry)
            })),
        ]
        fields.append(("metadata", .array(file.metadataKeys.compactMap { key in
            file.metadata[key].map { value in .object([("key", .string(key))] + jsonValue(value)) }
        })))
        let shown = tensorLimit.map { Array(file.tensors.prefix($0)) } ?? file.tensors
        fields.append(("tensorCount", .uint(UInt64(file.tensors.count))))
        fields.append(("tensors", .array(shown.map { t in
            .object([("name", .string(t.name)), ("type", .string(t.type.name)), ("shape", .array(t.dimensions.map { .uint($0) })),
                     ("offset", .uint(t.offset)), ("bytes", .uint(t.byteCount)), ("part", .uint(UInt64(t.sourceIndex + 1)))])
        })))
        fields.append(("totalsByType", .array(totalsByType.map { t in
            .object([("type", .string(t.type.name)), ("tensors", .uint(UInt64(t.tensors))), ("elements", .uint(t.elements)), ("bytes", .uint(t.bytes))])
        })))
        return .object(fields)
    }

    private func jsonValue(_ value: GGUFValue) -> [(String, JSONText)] {
        guard case .array(let a) = value else { return [("type", .string(value.type.description)), ("value", jsonScalar(value))] }
        return [("type", .string("array")), ("elementType", .string(a.elementType.description)), ("count", .uint(UInt64(a.count))),
                ("first", .array((0..<min(a.count, arrayPreview)).map { index in
                    if case .array(let inner) = a[index] {
                        return .object([("elementType", .string(inner.elementType.description)), ("count", .uint(UInt64(inner.count)))])
                    }
                    return jsonScalar(a[index])
                }))]
    }

    private func jsonScalar(_ value: GGUFValue) -> JSONText {
        switch value {
        case .string(let s): return .string(s)
        case .bool(let b): return .bool(b)
        case .float32(let f): return .double(Double(f))
        case .float64(let d): return .double(d)
        case .uint64(let u): return .uint(u)
        case .int64(let i): return .int(i)
        case .array: return .null
        default: return .int(Int64(value.intValue ?? 0))
        }
    }

    // MARK: - Formatting

    static func bytesText(_ bytes: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(bytes) B" : String(format: "%.2f ", value) + units[unit]
    }

    static func countText(_ n: UInt64) -> String {
        if n >= 1_000_000_000 { return String(format: "%.2f B", Double(n) / 1e9) }
        if n >= 1_000_000 { return String(format: "%.2f M", Double(n) / 1e6) }
        if n >= 10_000 { return String(format: "%.1f K", Double(n) / 1e3) }
        return String(n)
    }

    static func quoted(_ s: String, limit: Int) -> String {
        var out = ""
        JSONText.quote(s.count > limit ? String(s.prefix(limit)) : s, into: &out)
        return s.count > limit ? out + "… (\(s.count) characters)" : out
    }

    static func padded(_ s: String, _ width: Int) -> String { s.count >= width ? s : s + String(repeating: " ", count: width - s.count) }
    static func leftPadded(_ s: String, _ width: Int) -> String { s.count >= width ? s : String(repeating: " ", count: width - s.count) + s }
}
