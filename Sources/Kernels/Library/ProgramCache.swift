import GLES

/// What makes two compiled kernels different: the shader and its specialisation.
public struct ProgramKey: Hashable, Sendable, CustomStringConvertible {
    public var shader: String
    public var overrides: [String: OverrideValue]
    /// The chained-launch specialisation (`ChainedLaunch`).
    public var chained: Bool

    public init(_ shader: String, _ overrides: [String: OverrideValue] = [:], chained: Bool = false) {
        self.shader = shader
        self.overrides = overrides
        self.chained = chained
    }

    /// e.g. `f32_linear[THREADS_PER_ROW=16,WEIGHT_FORMAT=3]` (`+chained` for the chained one),
    /// the name GL errors carry.
    public var description: String {
        let parts = overrides.keys.sorted().map { "\($0)=\(overrides[$0]!)" }
        let name = parts.isEmpty ? shader : "\(shader)[\(parts.joined(separator: ","))]"
        return chained ? name + "+chained" : name
    }
}

/// A compiled specialisation of a kernel, with what its launches need besides the program: its
/// name (the `ProgramKey` description, made once: a launcher reports it on every launch, and
/// formatting the key each time cost microseconds) and its params layout, checked against the
/// launcher's writes on the first launch only.
final class CompiledKernel {
    let kernel: Kernel
    let key: ProgramKey
    let program: ComputeProgram
    let params: ParamsLayout
    var paramsChecked = false
    /// The chained-launch twin of this specialisation, once compiled.
    var chainedTwin: CompiledKernel?
    /// The twin did not compile on this device (`ProgramCache.chained`).
    var chainedTwinFailed = false

    init(kernel: Kernel, key: ProgramKey, program: ComputeProgram, params: ParamsLayout) {
        self.kernel = kernel; self.key = key; self.program = program; self.params = params
    }

    var name: String { program.name }

    /// The report of a launch of this program.
    func report(dispatches: Int, format: WeightFormat? = nil) -> KernelReport {
        KernelReport(kernel: kernel, format: format, program: program.name, dispatches: dispatches)
    }
}

/// Compiles each specialisation once, on first use.
final class ProgramCache {
    let context: GLContext
    let library: ShaderLibrary
    private var programs: [ProgramKey: CompiledKernel] = [:]

    init(context: GLContext, library: ShaderLibrary) {
        self.context = context
        self.library = library
    }

    func program(_ kernel: Kernel, _ overrides: [String: OverrideValue], chained: Bool = false) throws -> CompiledKernel {
        let key = ProgramKey(kernel.shader, overrides, chained: chained)
        if let compiled = programs[key] { return compiled }
        let glsl = try library.source(kernel.shader).specialised(overrides, defines: chained ? ChainedLaunch.defines : [:])
        let program = try context.makeProgram(name: key.description, glsl: glsl)
        let compiled = CompiledKernel(kernel: kernel, key: key, program: program, params: try library.paramsLayout(kernel.shader))
        programs[key] = compiled
        return compiled
    }

    /// The chained twin of `compiled` (same shader and overrides), compiled on first use; nil when the device cannot
    /// compile it (the twin needs one more storage block than the kernel, and a device may
    /// allow fewer than the largest kernel's 12 + 1 in one shader): that kernel then keeps
    /// its barriers, and the others still chain.
    func chained(_ compiled: CompiledKernel) -> CompiledKernel? {
        if let twin = compiled.chainedTwin { return twin }
        if compiled.chainedTwinFailed { return nil }
        do {
            let twin = try program(compiled.kernel, compiled.key.overrides, chained: true)
            compiled.chainedTwin = twin
            return twin
        } catch {
            compiled.chainedTwinFailed = true
            return nil
        }
    }
}
