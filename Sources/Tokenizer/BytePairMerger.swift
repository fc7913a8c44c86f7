/// Byte-pair merging of one pre-tokenized piece, with tiktoken's semantics: repeatedly join the
/// two adjacent parts whose concatenation has the lowest merge rank (leftmost on ties), until no
/// adjacent pair is a token with a rank.
///
/// Ranks are looked up by the bytes of the concatenation, not by the (left, right) pair, so a
/// token is reachable by any split of it, exactly as in tiktoken; for a vocabulary whose merges
/// list is in rank order (o200k) this is the same ordering as the merges.
struct BytePairMerger {
    /// Bytes → token id, for every byte-level token.
    let vocabulary: ByteStringTable
    /// Per token id: the rank of the merge that produces it; `noRank` for tokens no merge makes.
    let mergeRank: [UInt32]
    static let noRank = UInt32.max
    /// Pieces longer than this use the heap-based merge, which is O(n log n) instead of O(n²);
    /// short pieces, nearly all of them, are faster with a plain scan.
    static let heapThreshold = 64

    @inline(__always)
    private func rank(_ bytes: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> UInt32 {
        guard let id = vocabulary.lookup(bytes + start, end - start) else { return Self.noRank }
        return mergeRank[Int(id)]
    }

    /// Reusable buffers, so that merging a short piece allocates nothing.
    struct Scratch {
        var starts: [Int] = []
        var ranks: [UInt32] = []
    }

    /// The start offsets of the final parts of `piece` (plus `piece.count` at the end), merging
    /// only pairs whose rank is below `rankLimit`.
    func partBoundaries(_ piece: UnsafeBufferPointer<UInt8>, rankLimit: UInt32 = noRank) -> [Int] {
        var scratch = Scratch()
        partBoundaries(piece, rankLimit: rankLimit, scratch: &scratch)
        return scratch.starts
    }

    /// The same, left in `scratch.starts`.
    func partBoundaries(_ piece: UnsafeBufferPointer<UInt8>, rankLimit: UInt32, scratch: inout Scratch) {
        if piece.count > Self.heapThreshold {
            scratch.starts = mergeWithHeap(piece, rankLimit: rankLimit)
        } else {
            mergeByScan(piece, rankLimit: rankLimit, scratch: &scratch)
        }
    }

    /// Appends the token ids of `piece` to `ids`.
    func encode(_ piece: UnsafeBufferPointer<UInt8>, into ids: inout [Int], scratch: inout Scratch) {
        let base = piece.baseAddress!
        partBoundaries(piece, rankLimit: Self.noRank, scratch: &scratch)
        let bounds = scratch.starts
        for k in 0..<(bounds.count - 1) {
            // Every single byte is a token (checked when the tokenizer is built), so every part
            // that BPE leaves is one.
            ids.append(Int(vocabulary.lookup(base + bounds[k], bounds[k + 1] - bounds[k])!))
        }
    }

    // MARK: - Plain scan (tiktoken's algorithm)

    func mergeByScan(_ piece: UnsafeBufferPointer<UInt8>, rankLimit: UInt32) -> [Int] {
        var scratch = Scratch()
        mergeByScan(piece, rankLimit: rankLimit, scratch: &scratch)
        return scratch.starts
    }

    /// Leaves the part starts in `scratch.starts`; `scratch.ranks[k]` is the rank of parts k and
    /// k+1 joined.
    func mergeByScan(_ piece: UnsafeBufferPointer<UInt8>, rankLimit: UInt32, scratch: inout Scratch) {
        let bytes = piece.baseAddress!
        let n = piece.count
        scratch.starts.removeAll(keepingCapacity: true)
        scratch.ranks.removeAll(keepingCapacity: true)
        for k in 0...n {
            scratch.starts.append(k)
            scratch.ranks.append(k + 2 <= n ? rank(bytes, k, k + 2) : Self.noRank)
        }
        while scratch.starts.count > 2 {
            var best = Self.noRank
            var at = -1
            for k in 0..<(scratch.starts.count - 2) where scratch.ranks[k] < best {
                best = scratch.ranks[k]
                at = k
            }
            if at < 0 || best >= rankLimit { break }
            scratch.starts.remove(at: at + 1)
            scratch.ranks.remove(at: at + 1)
            let starts = scratch.starts
            scratch.ranks[at] = at + 2 < starts.count ? rank(bytes, starts[at], starts[at + 2]) : Self.noRank
            if at > 0 { scratch.ranks[at - 1] = rank(bytes, starts[at - 1], starts[at + 1]) }
        }
    }

    // MARK: - Heap (long pieces)

    /// A candidate join of the part starting at `left` with its right neighbour, which together
    /// end at `end`. Parts only grow, so (left, end) names one exact pair: if either part has
    /// changed since the candidate was pushed, the pair now ends elsewhere and the entry is stale.
    private struct Candidate {
        var rank: UInt32
        var left: Int
        var end: Int
        @inline(__always) func precedes(_ other: Candidate) -> Bool {
            rank != other.rank ? rank < other.rank : left < other.left
        }
    }

    func mergeWithHeap(_ piece: UnsafeBufferPointer<UInt8>, rankLimit: UInt32) -> [Int] {
        let bytes = piece.baseAddress!
        let n = piece.count
        // Parts as a linked list over byte offsets: next[s] is the start of the part after the
        // one starting at s (n at the end); prev likewise; alive[s] while s starts a part.
        var next = Array(1...n)
        var prev = Array(-1..<(n - 1))
        var alive = [Bool](repeating: true, count: n)
        var heap: [Candidate] = []
        heap.reserveCapacity(n)

        func push(_ c: Candidate) {
            heap.append(c)
            var i = heap.count - 1
            while i > 0 {
                let parent = (i - 1) / 2
                guard heap[i].precedes(heap[parent]) else { break }
                heap.swapAt(i, parent)
                i = parent
            }
        }
        func pop() -> Candidate {
            let top = heap[0]
            let last = heap.removeLast()
            if !heap.isEmpty {
                heap[0] = last
                var i = 0
                while true {
                    let l = 2 * i + 1, r = l + 1
                    var smallest = i
                    if l < heap.count && heap[l].precedes(heap[smallest]) { smallest = l }
                    if r < heap.count && heap[r].precedes(heap[smallest]) { smallest = r }
                    if smallest == i { break }
                    heap.swapAt(i, smallest)
                    i = smallest
                }
            }
            return top
        }
        func consider(_ left: Int) {
            let right = next[left]
            guard right < n else { return }
            let end = next[right]
            let r = rank(bytes, left, end)
            if r < rankLimit { push(Candidate(rank: r, left: left, end: end)) }
        }

        for s in 0..<(n - 1) { consider(s) }
        while !heap.isEmpty {
            let c = pop()
            guard alive[c.left], next[c.left] < n, next[next[c.left]] == c.end else { continue }
            let right = next[c.left]
            alive[right] = false
            next[c.left] = c.end
            if c.end < n { prev[c.end] = c.left }
            consider(c.left)
            if prev[c.left] >= 0 { consider(prev[c.left]) }
        }
        var starts: [Int] = []
        var s = 0
        while s < n {
            starts.append(s)
            s = next[s]
        }
        starts.append(n)
        return starts
    }
}
