import Foundation
import GLES

/// Turning chained launches (`ChainedLaunch`) on, checking them, and turning them off.
extension KernelLibrary {
    /// Dependent matrix × vector launches the probe chains: each reads the whole vector the one
    /// before wrote, so a launch that started early, or read a stale cache line, changes the
    /// result by far more than rounding.
    static let chainProbeLaunches = 24
    static let chainProbeWidth = 1024
    static let chainCheckInterval = 16

    /// Probes chained launches and keeps them on if the probe passes; otherwise notes why not
    /// (`chainedLaunchNote`) and leaves every launch followed by its barrier.
    func startChainedLaunches() throws {
        guard ChainedLaunch.fits(context.limits) else {
            chainedLaunchNote = "chained launches need \(ChainedLaunch.storageBinding + 1) storage and \(ChainedLaunch.uniformBinding + 1) uniform bindings; "
                + "this device has \(context.limits.maxShaderStorageBufferBindings) and \(context.limits.maxUniformBufferBindings)"
            return
        }
        do {
            // The same launches with barriers first: if they miss the CPU's result too, the
            // kernel or the device is at fault, not the chaining, and the note says so.
            if let failure = try runChainProbe() {
                chainedLaunchNote = "the probe of chained launches fails even with barriers (\(failure)); every launch keeps its barrier"
                return
            }
            chain = try ChainedLaunch(context: context)
            if let failure = try runChainProbe() {
                // The chained programs once more, each launch followed by a barrier: tells a
                // program the wrapper broke from an ordering the GPU does not keep.
                chain?.barrierAfterEach = true
                let twins = try runChainProbe()
                stopChainedLaunches(note: "the load-time probe of chained launches failed (\(failure); with barriers it passes, "
                    + (twins == nil ? "and so do the chained programs with barriers" : "the chained programs with barriers fail too: \(twins!)")
                    + "); every launch keeps its barrier")
            }
        } catch {
            stopChainedLaunches(note: "the load-time probe of chained launches could not run (\(error.localizedDescription)); every launch keeps its barrier")
        }
    }

    /// Chains launches from now on without the probe (GPTOSS_GL_LAUNCH_BARRIER=chained: measuring
    /// only, to time chaining and see its output on a device whose probe fails).
    public func chainWithoutProbe() throws {
        guard ChainedLaunch.fits(context.limits) else { return }
        context.barrier(.all)
        chain = try ChainedLaunch(context: context)
        chainedLaunchNote = nil
    }

    /// Runs the probe chain (chained or not, as launches are now); nil when the GPU's result
    /// matches the CPU's, else what differed.
    func runChainProbe(width n: Int = KernelLibrary.chainProbeWidth, finishUploads: Bool = true) throws -> String? {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func random() -> Float {
            // SplitMix64, to [-1, 1).
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return Float(z >> 40) / Float(1 << 23) - 1
        }
        // Entries of variance 1/n keep the vector's size about the same launch after launch.
        let scale = (3 / Float(n)).squareRoot()
        let matrix = (0 ..< n * n).map { _ in random() * scale }
        let x0 = (0 ..< n).map { _ in random() }
        let raw = matrix.withUnsafeBytes { Array($0) }
        let weights = try GPUWeights(context: context, packed: try PackedWeights.repack(raw: raw, format: .f32, rows: n, cols: n),
                                     label: "kernels.chain_probe.weights")
        let buffers = [try context.makeBuffer(array: x0, label: "kernels.chain_probe.a"),
                       try context.makeBuffer(byteCount: n * 4, label: "kernels.chain_probe.b")]
        // The uploads finish before the launches: the probe times and checks the chaining,
        // not how the driver orders a fresh upload against a launch with no barrier around it.
        if finishUploads { try context.finish() }
        let start = DispatchTime.now().uptimeNanoseconds
        for launch in 0 ..< Self.chainProbeLaunches {
            try linear(LinearArgs(weights: weights, bias: nil, input: buffers[launch % 2], output: buffers[(launch + 1) % 2], tokens: 1))
        }
        context.barrier(.all)
        let gpu = try buffers[Self.chainProbeLaunches % 2].readFloats(count: n)
        // What a failure note carries, to tell the causes apart on a device: the time the
        // launches took (a wait that never ends costs seconds) and the counters they left.
        let milliseconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        let counters = try chain.map { try $0.counters.readUInt32s(count: 1 + ChainedLaunch.slots) }
        let detail = String(format: "%.1f ms for %d launches", milliseconds, Self.chainProbeLaunches)
            + (counters.map { ", counters \($0)" } ?? "")
        var expected = x0
        for _ in 0 ..< Self.chainProbeLaunches {
            expected = CPUReference.linear(weights: matrix, bias: nil, x: expected, rows: n, cols: n, tokens: 1)
        }
        let size = expected.map(abs).max() ?? 0
        let errors = zip(gpu, expected).map { abs($0 - $1) }
        let error = errors.max() ?? .infinity
        let bound = 1e-3 * max(size, 1e-6)
        if let stalled = try chainedLaunchStalled(), stalled { return "a launch gave up waiting for the one before; \(detail)" }
        guard error.isFinite, error <= bound else {
            // How many outputs missed: a few (a race) or all (a wrong program) tells the causes apart.
            let missed = errors.filter { !($0 <= bound) }.count
            return "result off by \(error) against values up to \(size) in \(missed) of \(n) outputs; \(detail)"
        }
        return nil
    }

    /// The probe at several widths (smaller launches follow each other faster), chained as
    /// launches are now, one line each: `gptoss-gl probe --launches`.
    /// Each size runs twice: with its uploads finished first (as at load), and with the
    /// launches queued right behind the uploads.
    public func chainProbeReport(widths: [Int] = [256, 1024, 2048]) throws -> [String] {
        try widths.flatMap { width in
            try [true, false].map { finish in
                let start = DispatchTime.now().uptimeNanoseconds
                let failure = try runChainProbe(width: width, finishUploads: finish)
                let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
                return "\(Self.chainProbeLaunches) launches of \(width) × \(width)\(finish ? "" : ", right behind their uploads"): "
                    + (failure.map { "FAIL, \($0)" } ?? "ok") + String(format: " (%.1f ms with the CPU check)", ms)
            }
        }
    }

    /// Whether a chained launch gave up waiting since the last check (clears the error word);
    /// nil when launches are not chained.
    func chainedLaunchStalled() throws -> Bool? {
        guard let chain else { return nil }
        context.barrier(.all)
        let word = try chain.counters.readUInt32s(count: 1)[0]
        if word != 0 { try chain.counters.upload([UInt32(0)]) }
        return word != 0
    }

    /// Throws if a chained launch gave up waiting for the one before since the last check (its
    /// results, and everything after, may have read unfinished data), and turns chaining off so
    /// later launches keep their barriers. Call it after reading a step's results: it reads the
    /// error word every `chainCheckInterval`-th call (a readback costs tens of µs), or now when
    /// `now`.
    public func checkChainedLaunches(now: Bool = false) throws {
        guard let chain else { return }
        chain.checksSkipped += 1
        guard now || chain.checksSkipped >= Self.chainCheckInterval else { return }
        chain.checksSkipped = 0
        guard try chainedLaunchStalled() == true else { return }
        stopChainedLaunches(note: "a chained launch gave up waiting for the one before it; chained launches are off from now on")
        throw KernelsError.chainedLaunchStalled
    }

    /// Every launch from now on keeps its barrier (after one that waits for the chain's last).
    func stopChainedLaunches(note: String) {
        context.barrier(.all)
        chain = nil
        chainedLaunchNote = note
    }
}
