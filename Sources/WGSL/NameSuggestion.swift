// "Did you mean …?" for a misspelt name, and how a name reads in a message. Both are bounded by
// the name's length: source may hold an identifier megabytes long, and neither an edit-distance
// table over it nor a message quoting it whole helps anyone.

enum NameSuggestion {
    /// Names longer than this get no suggestion (no one misspells a name that long).
    static let maxSuggestedLength = 64
    /// Names longer than this are shortened in messages.
    static let maxShownLength = 48
    /// Most edits a suggestion may be away from the name: a third of its length, at least one.
    static func editLimit(for name: String) -> Int { max(1, name.count / 3) }

    /// The candidate closest to `name` within `editLimit(for:)` edits (ties: alphabetical), or
    /// nil. `cells` counts the edit-distance table cells computed, so tests can bound the work.
    static func closest(to name: String, among candidates: some Sequence<String>, cells: inout Int) -> String? {
        guard name.count <= maxSuggestedLength else { return nil }
        let target = Array(name)
        let limit = editLimit(for: name)
        var best: (name: String, distance: Int)?
        for candidate in candidates {
            let letters = Array(candidate)
            guard let d = distance(target, letters, limit: limit, cells: &cells) else { continue }
            if best.map({ d < $0.distance || (d == $0.distance && candidate < $0.name) }) ?? true {
                best = (candidate, d)
            }
        }
        return best?.name
    }

    /// The Levenshtein distance between `a` and `b` if it is at most `limit`, else nil. Only the
    /// diagonal band |i - j| <= limit is computed (cells outside it exceed the limit anyway), and
    /// pairs whose lengths differ by more than `limit` are rejected before any table work.
    static func distance(_ a: [Character], _ b: [Character], limit: Int, cells: inout Int) -> Int? {
        if abs(a.count - b.count) > limit { return nil }
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        let beyond = limit + 1
        var previous = (0...b.count).map { $0 <= limit ? $0 : beyond }
        var current = [Int](repeating: beyond, count: b.count + 1)
        for i in 1...a.count {
            let low = max(1, i - limit), high = min(b.count, i + limit)
            current[0] = i <= limit ? i : beyond
            if low > 1 { current[low - 1] = beyond }
            var rowMinimum = current[0]
            for j in low...high {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(beyond, previous[j] + 1, current[j - 1] + 1, substitution)
                rowMinimum = min(rowMinimum, current[j])
            }
            cells += high - low + 1
            if high < b.count { current[high + 1] = beyond }
            if rowMinimum > limit { return nil }
            swap(&previous, &current)
        }
        return previous[b.count] <= limit ? previous[b.count] : nil
    }

    /// `name` as a message quotes it: whole when short, else its start, an ellipsis and its
    /// length, so a message about a huge identifier stays one readable line.
    static func shown(_ name: String) -> String {
        guard name.count > maxShownLength else { return name }
        return "\(name.prefix(maxShownLength))… (\(name.count) characters)"
    }
}
