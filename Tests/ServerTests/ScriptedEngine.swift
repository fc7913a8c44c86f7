import Foundation
import GPTOSS
@testable import Server
import Tokenizer

/// A CompletionEngine for testing the HTTP layer without a GPU: each request plays back a
/// scripted token stream (model output written as Harmony text), and the engine records what it
/// was asked and whether consumers dropped their streams.
final class ScriptedEngine: CompletionEngine, @unchecked Sendable {
    let slots = 1
    let contextPerSequence: Int
    private let lock = NSLock()
    private var _requests: [CompletionRequest] = []
    private var _terminations: [AsyncThrowingStream<CompletionEvent, Error>.Continuation.Termination] = []
    /// Token ids each request plays back, in order.
    var script: [Int]
    /// Thrown by `submit` instead of answering, when set.
    var refusal: CompletionEngineError?
    /// Pause between tokens (for disconnect tests).
    var tokenDelay: Double = 0
    /// Thrown by the stream after the script when set (e.g. shuttingDown mid-answer).
    var failure: Error?

    init(script: [Int], context: Int = 4096) {
        self.script = script
        contextPerSequence = context
    }

    var requests: [CompletionRequest] { lock.lock(); defer { lock.unlock() }; return _requests }
    var terminations: [AsyncThrowingStream<CompletionEvent, Error>.Continuation.Termination] {
        lock.lock(); defer { lock.unlock() }; return _terminations
    }

    func submit(_ request: CompletionRequest) throws -> AsyncThrowingStream<CompletionEvent, Error> {
        if let refusal { throw refusal }
        if request.prompt.count >= contextPerSequence {
            throw CompletionEngineError.contextLengthExceeded(promptTokens: request.prompt.count, context: contextPerSequence)
        }
        lock.lock()
        _requests.append(request)
        lock.unlock()
        let ids = script, delay = tokenDelay, failure = failure
        return AsyncThrowingStream { continuation in
            continuation.onTermination = { [weak self] termination in
                guard let self else { return }
                self.lock.lock()
                self._terminations.append(termination)
                self.lock.unlock()
            }
            let task = Task {
                continuation.yield(.admitted(sequence: 1, slot: 0))
                var generated = 0
                var reason = FinishReason.maxTokens
                for (index, id) in ids.prefix(request.maxTokens).enumerated() {
                    if delay > 0 { try? await Task.sleep(nanoseconds: UInt64(delay * 1e9)) }
                    if Task.isCancelled { return }
                    generated += 1
                    continuation.yield(.token(GeneratedToken(position: request.prompt.count + index, id: id, top: [], entropy: 0, seconds: 0)))
                    if request.stopTokens.contains(id) { reason = .stopToken; break }
                }
                if let failure { continuation.finish(throwing: failure); return }
                continuation.yield(.finished(reason, promptTokens: request.prompt.count, completionTokens: generated))
                continuation.finish()
            }
            _ = task
        }
    }

    func stats() -> CompletionEngineStats {
        CompletionEngineStats(slots: slots, queueCapacity: 4, contextPerSequence: contextPerSequence,
                              kvCapacityTokens: contextPerSequence, expertCacheHits: 7, expertCacheMisses: 3,
                              gpuMemoryBytes: 3 << 20, gpuBuffers: 42)
    }

    func shutdown(within seconds: Double) async {}
}

enum Fixture {
    static let tokenizer: BPETokenizer = {
        do { return try TokenizerLoader.load(model: nil) } catch { fatalError("cannot load the o200k vocabulary: \(error)") }
    }()

    /// Model output text with control tokens spelled out, as ids.
    static func ids(_ text: String) -> [Int] {
        var ids: [Int] = []
        var rest = Substring(text)
        while let open = rest.range(of: "<|"), let close = rest[open.upperBound...].range(of: "|>") {
            ids += tokenizer.encode(String(rest[..<open.lowerBound]))
            ids.append(try! tokenizer.requireTokenID(named: String(rest[open.lowerBound ..< close.upperBound])))
            rest = rest[close.upperBound...]
        }
        return ids + tokenizer.encode(String(rest))
    }
}
