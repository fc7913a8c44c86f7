import GLES
import Kernels

/// The keys and values of every layer, on the GPU: a ring of `window` slots (at least one prefill
/// batch) for sliding layers, and one slot per position of the context for full layers.
public final class KVCache {
    public let layers: [KVCacheLayer]
    /// Positions the cache can hold: the context length the user asked for.
    public let context: Int
    /// Positions filled so far (the next token's position).
    public internal(set) var length = 0

    /// Bytes a cache for `context` positions needs, without allocating it.
    public static func byteCount(config c: ModelConfig, context: Int, batch: Int) -> Int {
        (0 ..< c.blockCount).reduce(0) { total, n in
            total + 2 * 4 * c.kvWidth * capacity(config: c, layer: n, context: context, batch: batch)
        }
    }

    /// Slots of layer `n`. A sliding ring holds the window plus one prefill batch, so a batch's
    /// appends never overwrite a slot that another token of the same batch writes.
    static func capacity(config c: ModelConfig, layer n: Int, context: Int, batch: Int) -> Int {
        c.isSlidingLayer(n) ? c.slidingWindow + batch : context
    }

    public init(context glContext: GLContext, config c: ModelConfig, context: Int, batch: Int) throws {
        self.context = context
        layers = try (0 ..< c.blockCount).map { n in
            try KVCacheLayer(context: glContext, capacity: Self.capacity(config: c, layer: n, context: context, batch: batch),
                             kvHeads: c.headCountKV, headDim: c.headDim,
                             window: c.isSlidingLayer(n) ? c.slidingWindow : 0, label: "blk.\(n).kv_cache")
        }
    }

    public var byteCount: Int { layers.reduce(0) { $0 + $1.keys.byteCount + $1.values.byteCount } }

    /// Forgets every position (the buffers are reused: stale slots are never read, since
    /// attention only looks at positions below `length`).
    public func reset() { length = 0 }
}
