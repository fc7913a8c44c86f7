import Foundation
import GLES

/// The kernel library: programs compiled on first use from the translated GLSL, specialised by
/// `KernelTuning`, and one typed launcher per kernel family (see the `KernelLibrary+*.swift`
/// files). Every launcher checks its arguments and throws before dispatching anything.
/// Launchers queue work and put a storage barrier after it; nothing waits for the GPU except
/// explicit readbacks.
public final class KernelLibrary {
    public let context: GLContext
    public let tuning: KernelTuning
    let cache: ProgramCache
    var scratch: [String: GPUBuffer] = [:]
    /// The barrier after every launch: `.storage` (the default, and what the kernels need).
    /// `bench-kernels --barrier` changes it, or leaves it out, to time what it costs.
    public var launchBarrier: MemoryBarrier? = .storage
    /// Every grouped MoE pass of prefill is recomputed by the per-slot kernels and compared on
    /// the host (a device diagnostic, GPTOSS_GL_CHECK_GROUPED=1; see GPTOSS's GroupedMoECheck).
    public var verifiesGroupedExperts = false
    /// Launches follow each other without a barrier, ordered on the GPU (`ChainedLaunch`): set
    /// when the tuning asks for it and the probe of `startChainedLaunches` passed at init.
    var chain: ChainedLaunch?
    /// Why chained launches are off although the tuning asked for them (nil: on, or not asked).
    public internal(set) var chainedLaunchNote: String?

    public init(context: GLContext, shaders: ShaderLibrary? = nil, tuning: KernelTuning? = nil) throws {
        self.context = context
        self.tuning = tuning ?? .forLimits(context.limits)
        self.cache = ProgramCache(context: context, library: try shaders ?? .located())
        if self.tuning.chainedLaunches { try startChainedLaunches() }
    }

    /// Whether launches are chained (no barrier between them) right now.
    public var chainsLaunches: Bool { chain != nil }

    /// How dependent launches are ordered, in words (bench's `launches` row).
    public var launchOrdering: String {
        if chain != nil { return "chained (each waits on the GPU for the one before; no barrier)" }
        guard launchBarrier != nil else { return "no barrier at all (GPTOSS_GL_LAUNCH_BARRIER=none: measuring only)" }
        return "a storage barrier after each" + (chainedLaunchNote.map { " (\($0))" } ?? "")
    }

    func program(_ kernel: Kernel, _ overrides: [String: UInt32]) throws -> CompiledKernel {
        try cache.program(kernel, overrides.mapValues { .u32($0) })
    }

    /// A scratch buffer of at least `bytes`, kept and grown across calls (one per purpose).
    func scratchBuffer(_ purpose: String, bytes: Int) throws -> GPUBuffer {
        if let existing = scratch[purpose], existing.byteCount >= bytes { return existing }
        let buffer = try context.makeBuffer(byteCount: max(bytes, 16), label: "kernels.scratch.\(purpose)")
        scratch[purpose] = buffer
        return buffer
    }

    /// Binding `index` to `buffer`, limited to its first `floats` 32-bit values when given: a
    /// buffer sized for a large batch (or over the binding limit) still binds for a small step.
    func use(_ index: Int, _ buffer: GPUBuffer, floats: Int? = nil) -> StorageBinding {
        guard let floats else { return StorageBinding(index: index, buffer: buffer) }
        return StorageBinding(index: index, buffer: buffer, offset: 0, size: min(buffer.byteCount, max(4, floats * 4)))
    }

    /// Dispatches `kernel`; its first launch also checks the params' field names and types
    /// against the shader's reflection (`ParamsLayout`).
    func run(_ kernel: CompiledKernel, params: UniformWriter, storage: [StorageBinding], groups: (Int, Int, Int)) throws {
        try checkParamsOnce(kernel, params)
        let uniforms = [UniformBinding(index: 0, bytes: params.padded)]
        if let chain, launchBarrier != nil, groups.0 > 0, groups.1 > 0, groups.2 > 0, let twin = cache.chained(kernel) {
            if let owner = context.unorderedLaunchOwner, owner != ObjectIdentifier(chain) {
                context.barrier(.storage)
            }
            if context.unorderedLaunchOwner == nil { chain.settled() }
            let step = UniformBinding(index: ChainedLaunch.uniformBinding, bytes: chain.next(groups: groups.0 * groups.1 * groups.2))
            try context.dispatch(twin.program, storage: storage + [StorageBinding(index: ChainedLaunch.storageBinding, buffer: chain.counters)],
                                 uniforms: uniforms + [step], groups: groups)
            context.unorderedLaunchOwner = ObjectIdentifier(chain)
            if chain.barrierAfterEach { context.barrier(.storage) }
            return
        }
        if context.unorderedLaunchOwner != nil { context.barrier(.storage) }
        try context.dispatch(kernel.program, storage: storage, uniforms: uniforms, groups: groups)
        if let launchBarrier { context.barrier(launchBarrier) }
    }

    /// Dispatches `kernel` outside the order of the other launches: no barrier before or after,
    /// not in the chain, the unordered-launch owner untouched. Only for a launch that reads
    /// memory no launch writes and writes nothing another launch reads (`warmL2`), which may
    /// overlap whatever runs beside it.
    func runBeside(_ kernel: CompiledKernel, params: UniformWriter, storage: [StorageBinding], groups: (Int, Int, Int)) throws {
        try checkParamsOnce(kernel, params)
        try context.dispatch(kernel.program, storage: storage, uniforms: [UniformBinding(index: 0, bytes: params.padded)], groups: groups)
    }

    // MARK: - Checks shared by the launchers

    /// A kernel's first launch checks the params' field names and types against the shader's
    /// reflection (`ParamsLayout`).
    private func checkParamsOnce(_ kernel: CompiledKernel, _ params: UniformWriter) throws {
        guard !kernel.paramsChecked else { return }
        try kernel.params.check(written: params.fields ?? [])
        kernel.paramsChecked = true
    }

    func require(_ condition: Bool, _ kernel: String, _ message: @autoclosure () -> String) throws {
        if !condition { throw KernelsError.invalidArgument(kernel: kernel, message: message()) }
    }

    func requireFloats(_ buffer: GPUBuffer, _ count: Int, _ kernel: String) throws {
        if count * 4 > buffer.byteCount {
            throw KernelsError.bufferTooSmall(kernel: kernel, buffer: buffer.label, needed: count * 4, available: buffer.byteCount)
        }
    }

    func groupsFit(_ x: Int, _ y: Int, _ kernel: String) throws {
        let limit = context.limits.maxComputeWorkGroupCount
        try require(x <= limit[0] && y <= limit[1], kernel,
                    "needs \(x) × \(y) workgroups, over the device's \(limit[0]) × \(limit[1]); use a smaller batch")
    }
}
