import Foundation

// The contract between the HTTP server and whatever decodes: the server renders prompts and
// maps tokens to JSON; an engine owns the GPU and turns requests into token streams. The serial
// engine (SerialCompletionEngine.swift) runs one request at a time; a batched engine advances
// many sequences per step behind the same protocol.

/// A request one engine slot decodes: rendered prompt ids, limits, sampling, stop ids — what a
/// single-stream generation takes too.
public typealias CompletionRequest = GenerationRequest

/// What a submitted request reports, in order: admitted once, a token per step, finished once.
/// A stream that ends without `.finished` was cancelled or failed (the error says which).
public enum CompletionEvent: Sendable {
    /// The request got a slot; prefill starts. `sequence` is the engine-wide id telemetry uses.
    case admitted(sequence: Int, slot: Int)
    /// One generated token.
    case token(GeneratedToken)
    /// The sequence ended: a stop token, the token limit, or a full context.
    case finished(FinishReason, promptTokens: Int, completionTokens: Int)
}

/// Why `submit` refused a request (at once, before any event).
public enum CompletionEngineError: Error, LocalizedError, Equatable {
    /// Every slot is busy and `capacity` requests already wait.
    case queueFull(capacity: Int)
    /// The prompt leaves no room to generate in one sequence's context.
    case contextLengthExceeded(promptTokens: Int, context: Int)
    /// The engine is stopping and admits nothing new.
    case shuttingDown

    public var errorDescription: String? {
        switch self {
        case .queueFull(let capacity):
            return "the server is busy: every slot is decoding and \(capacity) requests already wait; retry later"
        case .contextLengthExceeded(let promptTokens, let context):
            return "the prompt has \(promptTokens) tokens but a sequence holds \(context) positions "
                + "(prompt and answer together); shorten the messages or start the server with a larger --context"
        case .shuttingDown:
            return "the server is shutting down and accepts no new requests"
        }
    }
}

/// Where one sequence stands.
public enum SessionState: String, Sendable {
    case queued, prefill, decode
}

/// One sequence's numbers, for /metrics, telemetry and a sessions panel.
public struct SessionStats: Sendable, Equatable {
    public var sequence: Int
    /// nil while queued.
    public var slot: Int?
    public var promptTokens: Int
    public var generatedTokens: Int
    /// Decode speed so far (0 before the second token).
    public var tokensPerSecond: Double
    public var kvUsedTokens: Int
    public var state: SessionState

    public init(sequence: Int, slot: Int?, promptTokens: Int, generatedTokens: Int, tokensPerSecond: Double,
                kvUsedTokens: Int, state: SessionState) {
        self.sequence = sequence; self.slot = slot; self.promptTokens = promptTokens
        self.generatedTokens = generatedTokens; self.tokensPerSecond = tokensPerSecond
        self.kvUsedTokens = kvUsedTokens; self.state = state
    }
}

/// A snapshot of an engine: capacity, occupancy and totals since start.
public struct CompletionEngineStats: Sendable, Equatable {
    public var slots: Int
    public var activeSequences: Int
    public var queuedRequests: Int
    /// The queue's capacity (requests waiting for a slot beyond which `submit` throws queueFull).
    public var queueCapacity: Int
    public var contextPerSequence: Int
    public var kvUsedTokens: Int
    public var kvCapacityTokens: Int
    /// Requests that finished (any reason), were cancelled or failed after admission.
    public var requestsTotal: Int
    public var promptTokensTotal: Int
    public var completionTokensTotal: Int
    /// Seconds the last GPU step took (prefill or decode), 0 before the first.
    public var lastStepSeconds: Double
    public var expertCacheHits: Int
    public var expertCacheMisses: Int
    /// Bytes in the GL context's buffers and their number, as of the engine's last step (read on
    /// the thread that owns the context): weights, KV caches, activations. Flat while serving;
    /// growth with requests is a leak.
    public var gpuMemoryBytes: Int
    public var gpuBuffers: Int
    public var sessions: [SessionStats]

    public init(slots: Int, activeSequences: Int = 0, queuedRequests: Int = 0, queueCapacity: Int = 0,
                contextPerSequence: Int, kvUsedTokens: Int = 0, kvCapacityTokens: Int = 0, requestsTotal: Int = 0,
                promptTokensTotal: Int = 0, completionTokensTotal: Int = 0, lastStepSeconds: Double = 0,
                expertCacheHits: Int = 0, expertCacheMisses: Int = 0, gpuMemoryBytes: Int = 0, gpuBuffers: Int = 0,
                sessions: [SessionStats] = []) {
        self.slots = slots; self.activeSequences = activeSequences; self.queuedRequests = queuedRequests
        self.queueCapacity = queueCapacity; self.contextPerSequence = contextPerSequence
        self.kvUsedTokens = kvUsedTokens; self.kvCapacityTokens = kvCapacityTokens
        self.requestsTotal = requestsTotal; self.promptTokensTotal = promptTokensTotal
        self.completionTokensTotal = completionTokensTotal; self.lastStepSeconds = lastStepSeconds
        self.expertCacheHits = expertCacheHits; self.expertCacheMisses = expertCacheMisses
        self.gpuMemoryBytes = gpuMemoryBytes; self.gpuBuffers = gpuBuffers; self.sessions = sessions
    }
}

/// Decodes submitted requests on the GPU, as many at once as it has slots.
public protocol CompletionEngine: AnyObject, Sendable {
    /// Sequences decoded at once.
    var slots: Int { get }
    /// Positions (prompt + answer) one sequence may hold.
    var contextPerSequence: Int { get }
    /// Throws queueFull / contextLengthExceeded / shuttingDown at once; otherwise events stream.
    /// Terminating the stream (client gone) cancels the sequence and frees its slot within one step.
    func submit(_ request: CompletionRequest) throws -> AsyncThrowingStream<CompletionEvent, Error>
    func stats() -> CompletionEngineStats
    /// Stops admitting; lets running sequences finish for up to `seconds`, then cancels them.
    func shutdown(within seconds: Double) async
}
