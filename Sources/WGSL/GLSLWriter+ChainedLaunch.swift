// Chained launches: every kernel can also be compiled so that it runs right after the launch
// before it without a glMemoryBarrier between them (on the H100 a barrier costs ≈ 8 µs of GPU
// time, a launch ≈ 2.6 µs; a decode token is 124 dependent launches). The host defines
// CHAINED_LAUNCH (KernelLibrary+ChainedLaunch.swift); then:
//
// - every storage block is `coherent`, so a load reaches memory the previous launch wrote
//   instead of a stale line of an SM's cache;
// - the kernel's own `main` becomes `chained_launch_body`, and a new `main` wraps it: thread 0
//   of each workgroup first waits until the previous launch's workgroups have all counted
//   themselves done in `chained_launch_done[wait slot]` (atomic reads with a bail-out that raise the
//   error word, slot 0, rather than hang), the workgroup runs the body, and after a buffer memory
//   barrier and a workgroup barrier thread 0 counts the workgroup done in its own slot. The
//   first workgroup also clears the slot of the launch two back, which nothing reads any more
//   (the previous launch waited on it and has finished), so the host can cycle a few slots.
//
// The waiting relies on the GPU starting a launch's workgroups only after every workgroup of the
// launch before it has started (true of in-order hardware queues, not promised by GLES), so the
// host turns chaining on only after a probe at load; the bail-out bounds the damage otherwise.
// Without CHAINED_LAUNCH none of this is compiled and the kernel is what it always was.

extension GLSLWriter {
    /// The macro the storage blocks carry: `coherent` in a chained specialisation, else nothing.
    static let chainedCoherentMacro = "CHAINED_COHERENT"
    static let chainedBodyName = "chained_launch_body"

    /// Names the chained wrapper declares; user code never gets them.
    static let chainedLaunchNames: Set<String> = [chainedCoherentMacro, chainedBodyName, "chained_launch_done", "chained_launch_step",
                                                  "chained_launch_done_block", "chained_launch_step_block", "chained_launch_waiting",
                                                  "chained_launch_round", "chained_launch_spin"]

    /// After the precision lines: what CHAINED_COHERENT means.
    func writeChainedLaunchPrologue() {
        line("#if defined(CHAINED_LAUNCH)")
        line("#define \(GLSLWriter.chainedCoherentMacro) coherent")
        line("#else")
        line("#define \(GLSLWriter.chainedCoherentMacro)")
        line("#endif")
        line("")
    }

    /// The entry point's opening line: `main`, or the wrapped body in a chained specialisation.
    func writeEntryOpening() {
        line("#if defined(CHAINED_LAUNCH)")
        line("void \(GLSLWriter.chainedBodyName)() {")
        line("#else")
        line("void main() {")
        line("#endif")
    }

    /// The chained `main`, last in the file. The host defines CHAINED_LAUNCH_BINDING (the
    /// counters' storage binding), CHAINED_LAUNCH_UNIFORM (the step block's uniform binding) and
    /// CHAINED_LAUNCH_ROUNDS (the bail-out: rounds of 1024 reads); chained_launch_step = (slot to wait on, workgroups to
    /// wait for, 0: none; own slot; slot to clear).
    func writeChainedLaunchMain() {
        line("")
        line("#if defined(CHAINED_LAUNCH)")
        line("layout(std430, binding = CHAINED_LAUNCH_BINDING) coherent restrict buffer chained_launch_done_block {")
        indented { line("uint chained_launch_done[];") }
        line("};")
        line("layout(std140, binding = CHAINED_LAUNCH_UNIFORM) uniform chained_launch_step_block {")
        indented { line("uvec4 chained_launch_step;") }
        line("};")
        line("void main() {")
        indented {
            line("if (gl_LocalInvocationIndex == 0u) {")
            indented {
                // Two nested loops, not one long one: llvmpipe ends any loop after 65535
                // iterations as if it had finished.
                line("bool chained_launch_waiting = chained_launch_step.y != 0u;")
                line("for (uint chained_launch_round = 0u; chained_launch_waiting && chained_launch_round < uint(CHAINED_LAUNCH_ROUNDS); chained_launch_round++) {")
                indented {
                    line("for (uint chained_launch_spin = 0u; chained_launch_waiting && chained_launch_spin < 1024u; chained_launch_spin++) {")
                    indented { line("chained_launch_waiting = atomicOr(chained_launch_done[chained_launch_step.x], 0u) < chained_launch_step.y;") }
                    line("}")
                }
                line("}")
                line("if (chained_launch_waiting) {")
                indented { line("atomicOr(chained_launch_done[0], 1u);") }
                line("}")
                line("if (gl_WorkGroupID == uvec3(0u)) {")
                indented { line("atomicExchange(chained_launch_done[chained_launch_step.w], 0u);") }
                line("}")
            }
            line("}")
            line("barrier();")
            line("\(GLSLWriter.chainedBodyName)();")
            line("memoryBarrierBuffer();")
            line("barrier();")
            line("if (gl_LocalInvocationIndex == 0u) {")
            indented { line("atomicAdd(chained_launch_done[chained_launch_step.z], 1u);") }
            line("}")
        }
        line("}")
        line("#endif")
    }
}
