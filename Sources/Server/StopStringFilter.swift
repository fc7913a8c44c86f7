/// Holds back text that might be the start of a stop string, so a streamed answer never shows
/// part of one; once the text contains a stop string, everything from it on is dropped.
struct StopStringFilter {
    let stops: [String]
    private var held = ""
    /// True once a stop string was found: the answer is complete.
    private(set) var matched = false

    init(stops: [String]) { self.stops = stops }

    /// The text that can be shown now.
    mutating func push(_ text: String) -> String {
        guard !matched else { return "" }
        guard !stops.isEmpty else { return text }
        held += text
        if let cut = stops.compactMap({ held.range(of: $0)?.lowerBound }).min() {
            matched = true
            let shown = String(held[..<cut])
            held = ""
            return shown
        }
        // Keep the longest tail that a stop string starts with.
        let longest = min(held.count, (stops.map(\.count).max() ?? 1) - 1)
        var keep = 0
        if longest > 0 {
            for length in stride(from: longest, through: 1, by: -1) {
                let tail = held.suffix(length)
                if stops.contains(where: { $0.hasPrefix(tail) }) { keep = length; break }
            }
        }
        let shown = String(held.dropLast(keep))
        held = String(held.suffix(keep))
        return shown
    }

    /// The stream ended without a stop string: what was held back is shown after all.
    mutating func flush() -> String {
        defer { held = "" }
        return matched ? "" : held
    }
}
