import GLES

/// How cached keys and values are stored.
public enum KVStorage: String, Sendable, CaseIterable {
    /// Bit-identical to what the projections wrote (the default: matches the references exactly).
    case f32
    /// IEEE half, two values a word (pack2x16float): half the memory and bandwidth, keys rounded
    /// to 11 significant bits.
    case f16

    public var bytesPerValue: Int { self == .f32 ? 4 : 2 }
}

/// One layer's key and value cache on the GPU: a ring of `capacity` slots of
/// `kvHeads × headDim` values, position p in slot p % capacity. Sliding layers need only
/// `window` slots; full-attention layers need one slot per position of the context.
public final class KVCacheLayer {
    public let storage: KVStorage
    public let capacity: Int
    public let kvHeads: Int
    public let headDim: Int
    /// 0 for full attention.
    public let window: Int
    public let keys: GPUBuffer
    public let values: GPUBuffer

    public var rowFloats: Int { kvHeads * headDim }

    public init(context: GLContext, capacity: Int, kvHeads: Int, headDim: Int, window: Int, label: String,
                storage: KVStorage = .f32) throws {
        guard capacity > 0, kvHeads > 0, headDim > 0, window >= 0 else {
            throw KernelsError.invalidArgument(kernel: "KVCacheLayer", message: "'\(label)': capacity, kvHeads and headDim must be positive")
        }
        guard window == 0 || capacity >= window else {
            throw KernelsError.invalidArgument(kernel: "KVCacheLayer",
                message: "'\(label)': a sliding layer needs at least window = \(window) slots, got \(capacity)")
        }
        guard storage == .f32 || (kvHeads * headDim) % 2 == 0 else {
            throw KernelsError.invalidArgument(kernel: "KVCacheLayer", message: "'\(label)': f16 storage needs an even row of values")
        }
        let bytes = capacity * kvHeads * headDim * storage.bytesPerValue
        guard bytes <= context.limits.maxShaderStorageBlockSize else {
            throw KernelsError.invalidArgument(kernel: "KVCacheLayer",
                message: "'\(label)': \(capacity) positions × \(kvHeads) KV heads × \(headDim) take \(bytes) bytes, over the storage binding limit \(context.limits.maxShaderStorageBlockSize); use a shorter --context")
        }
        self.storage = storage
        self.capacity = capacity
        self.kvHeads = kvHeads
        self.headDim = headDim
        self.window = window
        keys = try context.makeBuffer(byteCount: bytes, label: "\(label).k")
        values = try context.makeBuffer(byteCount: bytes, label: "\(label).v")
        try keys.zero()
        try values.zero()
    }

    /// Whether a query at `position` finds every key it sees still in the ring.
    func holdsKeys(forQueryAt position: Int) -> Bool {
        let visible = window > 0 ? min(window, position + 1) : position + 1
        return visible <= capacity
    }
}
