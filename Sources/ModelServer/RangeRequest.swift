/// What a `Range` request header asks of a file of `size` bytes (RFC 9110 §14.1.2, one range).
public enum RangeRequest: Equatable, Sendable {
    /// No usable Range header: send the whole file with 200.
    case whole
    /// Send bytes first...last (inclusive) with 206.
    case partial(first: UInt64, last: UInt64)
    /// A valid range that no byte of the file satisfies: 416.
    case unsatisfiable

    /// Interprets a Range header. Syntax the server does not handle (other units, several
    /// ranges, garbage) is ignored, as RFC 9110 allows, and the whole file is sent.
    public init(header: String?, size: UInt64) {
        guard let header else { self = .whole; return }
        let text = header.trimmingCharacters(in: " \t")
        guard text.lowercased().hasPrefix("bytes="), !text.contains(",") else { self = .whole; return }
        let spec = text.dropFirst("bytes=".count).trimmingCharacters(in: " \t")
        guard let dash = spec.firstIndex(of: "-") else { self = .whole; return }
        let firstText = spec[..<dash], lastText = spec[spec.index(after: dash)...]
        if firstText.isEmpty {
            // Suffix range: the last N bytes.
            guard let suffix = UInt64(lastText) else { self = .whole; return }
            guard suffix > 0, size > 0 else { self = .unsatisfiable; return }
            self = .partial(first: size - min(suffix, size), last: size - 1)
            return
        }
        guard let first = UInt64(firstText) else { self = .whole; return }
        var last = size &- 1
        if !lastText.isEmpty {
            guard let parsed = UInt64(lastText), parsed >= first else { self = .whole; return }
            last = min(parsed, size &- 1)
        }
        guard first < size else { self = .unsatisfiable; return }
        self = .partial(first: first, last: last)
    }
}

private extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let c = s.first, set.contains(c) { s = s.dropFirst() }
        while let c = s.last, set.contains(c) { s = s.dropLast() }
        return String(s)
    }
}
