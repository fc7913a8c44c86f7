/// What a sequence of the server is doing.
public enum SessionPhase: String, Codable, Sendable {
    case queued, prefill, decode
}

/// The server's sequences after a decode step (`sessions` event): one row per running or queued
/// request, the queue, and the speed of all of them together. Emitted at most ~10 times a
/// second, so a log of a long serving run stays small.
public struct SessionTable: Codable, Sendable, Equatable {
    public struct Row: Codable, Sendable, Equatable {
        /// The server's sequence id (the `sequence` of its `token` events).
        public var sequence: Int
        /// The decoder slot; absent while queued.
        public var slot: Int?
        public var promptTokens: Int
        /// Tokens generated so far.
        public var tokens: Int
        /// Decode speed of this sequence so far.
        public var tokensPerSecond: Double
        /// Positions of the KV cache the sequence holds.
        public var kvUsedTokens: Int
        public var state: SessionPhase

        public init(sequence: Int, slot: Int?, promptTokens: Int, tokens: Int, tokensPerSecond: Double,
                    kvUsedTokens: Int, state: SessionPhase) {
            self.sequence = sequence; self.slot = slot; self.promptTokens = promptTokens; self.tokens = tokens
            self.tokensPerSecond = tokensPerSecond; self.kvUsedTokens = kvUsedTokens; self.state = state
        }
    }

    public var rows: [Row]
    /// Requests waiting for a slot.
    public var queued: Int
    /// Sequences decoded at once.
    public var slots: Int
    /// KV positions each sequence may hold.
    public var contextPerSequence: Int
    /// Tokens generated per second by all sequences together, since the previous table.
    public var tokensPerSecond: Double

    public init(rows: [Row], queued: Int, slots: Int, contextPerSequence: Int, tokensPerSecond: Double) {
        self.rows = rows; self.queued = queued; self.slots = slots
        self.contextPerSequence = contextPerSequence; self.tokensPerSecond = tokensPerSecond
    }
}
