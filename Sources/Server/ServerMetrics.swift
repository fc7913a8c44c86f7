import Foundation
import GPTOSS
import Prometheus

/// The server's Prometheus metrics (`GET /metrics`, text format 0.0.4), kept in
/// swift-prometheus's registry. Request and token counters grow as requests end; the engine's
/// gauges (queue, sequences, KV cache, step time) and its expert-cache counters are read from
/// `CompletionEngine.stats()` at each scrape.
final class ServerMetrics: @unchecked Sendable {
    let registry = PrometheusCollectorRegistry()
    private let promptTokens: Counter
    private let completionTokens: Counter
    private let expertHits: Counter
    private let expertMisses: Counter
    private let queueDepth: Gauge
    private let activeSequences: Gauge
    private let slots: Gauge
    private let kvUsed: Gauge
    private let kvCapacity: Gauge
    private let kvOccupancy: Gauge
    private let stepSeconds: Gauge
    private let gpuMemoryBytes: Gauge
    private let gpuBuffers: Gauge
    private let openConnections: Gauge
    private let refusedConnections: Counter
    private let lock = NSLock()
    private var seenExpertHits = 0
    private var seenExpertMisses = 0
    private var seenRefused = 0

    /// The endpoints counted by name; anything else is "other" (bounded label values).
    static let endpoints: Set<String> = ["/v1/chat/completions", "/v1/completions", "/v1/models", "/health", "/metrics"]

    init() {
        promptTokens = registry.makeCounter(name: "gptoss_prompt_tokens_total", help: "Prompt tokens of answered requests.")
        completionTokens = registry.makeCounter(name: "gptoss_completion_tokens_total", help: "Tokens generated for requests.")
        expertHits = registry.makeCounter(name: "gptoss_expert_cache_hits_total", help: "Expert lookups served from GPU slots.")
        expertMisses = registry.makeCounter(name: "gptoss_expert_cache_misses_total", help: "Expert lookups that uploaded from host memory.")
        queueDepth = registry.makeGauge(name: "gptoss_queue_depth", help: "Requests waiting for a slot.")
        activeSequences = registry.makeGauge(name: "gptoss_active_sequences", help: "Sequences being prefilled or decoded.")
        slots = registry.makeGauge(name: "gptoss_slots", help: "Sequences the engine decodes at once (--parallel).")
        kvUsed = registry.makeGauge(name: "gptoss_kv_used_tokens", help: "KV cache positions in use over all slots.")
        kvCapacity = registry.makeGauge(name: "gptoss_kv_capacity_tokens", help: "KV cache positions over all slots.")
        kvOccupancy = registry.makeGauge(name: "gptoss_kv_occupancy_ratio", help: "Used over capacity KV cache positions (0-1).")
        stepSeconds = registry.makeGauge(name: "gptoss_step_seconds", help: "Duration of the engine's last step.")
        gpuMemoryBytes = registry.makeGauge(name: "gptoss_gpu_memory_bytes",
                                            help: "Bytes in the model's GPU buffers (weights, KV caches, activations) after the last step.")
        gpuBuffers = registry.makeGauge(name: "gptoss_gpu_buffers", help: "GPU buffers the model holds after the last step.")
        openConnections = registry.makeGauge(name: "gptoss_http_connections", help: "HTTP connections open (--max-connections caps them).")
        refusedConnections = registry.makeCounter(name: "gptoss_http_connections_refused_total",
                                                  help: "Connections answered 503 and closed because --max-connections were open.")
    }

    /// Counts one answered HTTP request.
    func countRequest(path: String, status: Int) {
        let endpoint = Self.endpoints.contains(path) ? path : "other"
        registry.makeCounter(name: "gptoss_http_requests_total", labels: [("endpoint", endpoint), ("status", String(status))],
                             help: "HTTP requests answered, by endpoint and status.").increment()
    }

    /// Counts the tokens of one finished generation.
    func countTokens(prompt: Int, completion: Int) {
        promptTokens.increment(by: Int64(prompt))
        completionTokens.increment(by: Int64(completion))
    }

    /// The text exposition, after reading the engine's current numbers.
    func exposition(_ stats: CompletionEngineStats, connections: (open: Int, refused: Int) = (0, 0)) -> String {
        openConnections.set(Double(connections.open))
        queueDepth.set(Double(stats.queuedRequests))
        activeSequences.set(Double(stats.activeSequences))
        slots.set(Double(stats.slots))
        kvUsed.set(Double(stats.kvUsedTokens))
        kvCapacity.set(Double(stats.kvCapacityTokens))
        kvOccupancy.set(stats.kvCapacityTokens > 0 ? Double(stats.kvUsedTokens) / Double(stats.kvCapacityTokens) : 0)
        stepSeconds.set(stats.lastStepSeconds)
        gpuMemoryBytes.set(Double(stats.gpuMemoryBytes))
        gpuBuffers.set(Double(stats.gpuBuffers))
        lock.lock()
        let newHits = max(0, stats.expertCacheHits - seenExpertHits)
        let newMisses = max(0, stats.expertCacheMisses - seenExpertMisses)
        let newRefused = max(0, connections.refused - seenRefused)
        seenExpertHits = max(seenExpertHits, stats.expertCacheHits)
        seenExpertMisses = max(seenExpertMisses, stats.expertCacheMisses)
        seenRefused = max(seenRefused, connections.refused)
        lock.unlock()
        expertHits.increment(by: Int64(newHits))
        expertMisses.increment(by: Int64(newMisses))
        refusedConnections.increment(by: Int64(newRefused))
        return registry.emitToString()
    }
}
