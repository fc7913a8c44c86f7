/// Bytes held in GPU buffers made through one context (what the HUD's memory gauge shows).
public struct GPUMemoryStats: Codable, Equatable, Sendable {
    public var allocatedBytes: Int
    public var peakBytes: Int
    public var bufferCount: Int
    /// Buffers created since the context was made, including released ones.
    public var totalAllocations: Int
}

final class GPUMemoryTracker {
    private(set) var stats = GPUMemoryStats(allocatedBytes: 0, peakBytes: 0, bufferCount: 0, totalAllocations: 0)

    func allocated(_ bytes: Int) {
        stats.allocatedBytes += bytes
        stats.bufferCount += 1
        stats.totalAllocations += 1
        stats.peakBytes = max(stats.peakBytes, stats.allocatedBytes)
    }

    func released(_ bytes: Int) {
        stats.allocatedBytes -= bytes
        stats.bufferCount -= 1
    }
}
