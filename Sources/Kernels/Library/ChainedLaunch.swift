import GLES

/// Launches that follow each other without a glMemoryBarrier (see the top of
/// Sources/WGSL/GLSLWriter+ChainedLaunch.swift for the GPU side). On the H100 a storage barrier
/// costs ≈ 8 µs of GPU time and a launch ≈ 2.6 µs, and a decode token is ≈ 124 dependent
/// launches, so the barriers alone are a quarter of a token.
///
/// Each chained launch counts its finished workgroups into a slot of `counters`; the next one
/// waits (thread 0 of each workgroup, spinning) until the count reaches the previous launch's
/// workgroup count. Launch n uses slot 1 + n % 4, waits on the slot before, and clears the slot
/// two back. Slot 0 is the error word: a wait that ran out of rounds sets it
/// (`KernelLibrary.checkChainedLaunches` reads it). The step block (wait slot, workgroups to
/// wait for, own slot, slot to clear) repeats every 4 launches, so the uniform cache keeps it.
final class ChainedLaunch {
    /// The storage and uniform bindings the chained wrapper uses: above every kernel's own.
    static let storageBinding = 15
    static let uniformBinding = 1
    /// Rounds of 1024 atomic reads before a waiting workgroup gives up and raises the error
    /// word (each read ≈ 1 µs or less: a few seconds at most, never a hang).
    static let rounds = 4096
    static let slots = 4

    static var defines: [String: String] {
        ["CHAINED_LAUNCH": "1", "CHAINED_LAUNCH_BINDING": "\(storageBinding)",
         "CHAINED_LAUNCH_UNIFORM": "\(uniformBinding)", "CHAINED_LAUNCH_ROUNDS": "\(rounds)"]
    }

    /// Whether a device can run chained kernels at all (their extra bindings fit its limits).
    static func fits(_ limits: GPULimits) -> Bool {
        limits.maxShaderStorageBufferBindings > storageBinding && limits.maxUniformBufferBindings > uniformBinding
            && limits.maxComputeUniformBlocks >= 2
    }

    let counters: GPUBuffer
    private var launches = 0
    /// The workgroups of the last launch when it was chained and nothing has waited for it since.
    private(set) var pendingGroups: Int?
    /// A barrier after every chained launch too (the probe's diagnosis: the chained programs
    /// without the chain's ordering).
    var barrierAfterEach = false
    /// `KernelLibrary.checkChainedLaunches` calls since the error word was last read.
    var checksSkipped = 0

    init(context: GLContext) throws {
        counters = try context.makeBuffer(array: [UInt32](repeating: 0, count: 1 + ChainedLaunch.slots), label: "kernels.chained_launch")
    }

    /// The step block of the next launch, which has `groups` workgroups; advances the chain.
    func next(groups: Int) -> [UInt8] {
        let slot = { (n: Int) in UInt32(1 + (n % ChainedLaunch.slots + ChainedLaunch.slots) % ChainedLaunch.slots) }
        let step = [slot(launches - 1), UInt32(pendingGroups ?? 0), slot(launches), slot(launches - 2)]
        launches += 1
        pendingGroups = groups
        return step.withUnsafeBytes { Array($0) }
    }

    /// A barrier (or a wait) has made the last launch's work visible; the next chained launch
    /// need not wait.
    func settled() {
        pendingGroups = nil
    }
}
