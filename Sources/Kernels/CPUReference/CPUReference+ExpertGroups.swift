extension CPUReference {
    /// One tile of slots that chose the same expert: `count` slots from position `first` of the
    /// sorted list.
    public struct ExpertTile: Equatable, Sendable {
        public var expert: Int
        public var first: Int
        public var count: Int

        public init(expert: Int, first: Int, count: Int) {
            self.expert = expert
            self.first = first
            self.count = count
        }
    }

    /// The slots (t·k + j) of `ids` ([tokens][k]) sorted by expert, ties by slot index, and each
    /// expert's run cut into tiles of at most `tokenTile` slots, experts in increasing order.
    /// Ids outside 0..<experts belong to no tile.
    public static func groupExperts(ids: [Int], experts: Int, tokenTile: Int) -> (sorted: [Int], tiles: [ExpertTile]) {
        var members = [[Int]](repeating: [], count: experts)
        for (slot, e) in ids.enumerated() where e >= 0 && e < experts {
            members[e].append(slot)
        }
        var sorted: [Int] = []
        var tiles: [ExpertTile] = []
        for (e, slots) in members.enumerated() {
            for start in stride(from: 0, to: slots.count, by: tokenTile) {
                tiles.append(ExpertTile(expert: e, first: sorted.count + start, count: min(tokenTile, slots.count - start)))
            }
            sorted += slots
        }
        return (sorted, tiles)
    }
}
