import Foundation
import GLES

/// One shape of the phase hand-off probe (`f32_phase_handoff.wgsl`, `gptoss-gl probe --phases`).
public struct PhaseHandoffShape: Sendable, Equatable, CustomStringConvertible {
    public var phases: Int
    public var groupsPerPhase: Int
    public var workgroup: Int
    /// The hand-off values go through atomics (coherent everywhere) instead of plain stores and loads.
    public var atomicValues: Bool

    public init(phases: Int, groupsPerPhase: Int, workgroup: Int, atomicValues: Bool = false) {
        self.phases = phases
        self.groupsPerPhase = groupsPerPhase
        self.workgroup = workgroup
        self.atomicValues = atomicValues
    }

    /// Words of the kernel's `counters`: tickets, wrong reads, waits given up, a done count a phase.
    var counterWords: Int { 3 + phases }

    public var description: String {
        "\(phases) phases × \(groupsPerPhase) workgroups of \(workgroup)\(atomicValues ? ", atomic values" : "")"
    }
}

/// What the launches of one shape left behind: reads that missed the value the phase before
/// wrote, and waits that gave up. Both zero means every hand-off was ordered and visible.
public struct PhaseHandoffCheck: Sendable, Equatable {
    public var wrongReads: Int
    public var waitsGivenUp: Int
    public var passed: Bool { wrongReads == 0 && waitsGivenUp == 0 }
}

/// The probe's timing of one shape: GPU microseconds a launch, the phases of a launch handed off
/// inside it (tickets) against one launch a phase with a storage barrier after each.
public struct PhaseHandoffTiming: Sendable {
    public var shape: PhaseHandoffShape
    public var ticketMicroseconds: Double
    public var separateMicroseconds: Double
    public var tickets: PhaseHandoffCheck
    public var separate: PhaseHandoffCheck

    /// What one hand-off inside a launch saves against a launch and barrier of its own.
    public var savedPerHandoff: Double {
        (separateMicroseconds - ticketMicroseconds) / Double(max(shape.phases - 1, 1))
    }

    public var line: String {
        let verdict = tickets.passed && separate.passed ? "ok" :
            "FAIL (tickets: \(tickets.wrongReads) wrong reads, \(tickets.waitsGivenUp) waits given up; "
            + "separate: \(separate.wrongReads), \(separate.waitsGivenUp))"
        return String(format: "%@: one launch %.1f µs, a launch a phase %.1f µs, %.2f µs saved a hand-off: %@",
                      shape.description, ticketMicroseconds, separateMicroseconds, savedPerHandoff, verdict)
    }
}

extension KernelLibrary {
    /// A wait gives up after this many rounds of 1024 atomic reads (seconds at most).
    public static let phaseHandoffRounds = 4096
    /// `separate_phase` of a launch that runs its phases by ticket.
    static let phaseHandoffByTicket = UInt32.max

    /// Buffers of one probe shape: the counters and the hand-off values.
    public struct PhaseHandoffBuffers {
        let counters: GPUBuffer
        let values: GPUBuffer
        let shape: PhaseHandoffShape
    }

    public func phaseHandoffBuffers(_ shape: PhaseHandoffShape) throws -> PhaseHandoffBuffers {
        try require(shape.phases >= 1 && shape.groupsPerPhase >= 1, "f32_phase_handoff", "needs a phase and a workgroup, got \(shape)")
        try require(shape.workgroup >= 1 && shape.workgroup <= context.limits.maxComputeWorkGroupInvocations, "f32_phase_handoff",
                    "a workgroup of \(shape.workgroup) threads is more than this device's \(context.limits.maxComputeWorkGroupInvocations)")
        let counters = try context.makeBuffer(array: [UInt32](repeating: 0, count: shape.counterWords), label: "kernels.phase_handoff.counters")
        let values = try context.makeBuffer(byteCount: 4 * shape.phases * shape.groupsPerPhase * shape.workgroup,
                                            label: "kernels.phase_handoff.values")
        return PhaseHandoffBuffers(counters: counters, values: values, shape: shape)
    }

    /// One launch of the probe: all phases by ticket (`separatePhase` nil) or only phase
    /// `separatePhase`. `epoch` is what its values carry; `waitExtra` 1 makes every wait give up
    /// (tests of the bail-out); `rounds` bounds each wait.
    public func launchPhaseHandoff(_ buffers: PhaseHandoffBuffers, epoch: Int, separatePhase: Int? = nil, waitExtra: Int = 0,
                                   rounds: Int = KernelLibrary.phaseHandoffRounds) throws {
        let shape = buffers.shape
        let program = try self.program(.phaseHandoff, ["WG_SIZE": UInt32(shape.workgroup), "ATOMIC_VALUES": shape.atomicValues ? 1 : 0])
        var p = UniformWriter(for: program)
        p.u32("groups_per_phase", shape.groupsPerPhase); p.u32("phases", shape.phases); p.u32("epoch", epoch)
        p.u32("wait_extra", waitExtra)
        p.u32("separate_phase", Int(separatePhase.map { UInt32($0) } ?? Self.phaseHandoffByTicket))
        p.u32("rounds", rounds); p.u32("pad0", 0); p.u32("pad1", 0)
        // The unused one of the two value bindings gets the counters (it is never touched).
        let storage = [use(1, buffers.counters), use(2, shape.atomicValues ? buffers.counters : buffers.values),
                       use(3, shape.atomicValues ? buffers.values : buffers.counters)]
        let groups = separatePhase == nil ? shape.phases * shape.groupsPerPhase : shape.groupsPerPhase
        try run(program, params: p, storage: storage, groups: (groups, 1, 1))
    }

    /// The probe's launches of one epoch: one launch (tickets) or one a phase.
    public func launchPhaseHandoffEpoch(_ buffers: PhaseHandoffBuffers, epoch: Int, byTicket: Bool) throws {
        if byTicket {
            try launchPhaseHandoff(buffers, epoch: epoch)
        } else {
            for phase in 0 ..< buffers.shape.phases {
                try launchPhaseHandoff(buffers, epoch: epoch, separatePhase: phase)
            }
        }
    }

    /// Reads and clears the wrong-read and given-up counts; the tickets and done counts must be
    /// back at zero after whole launches (the last workgroup resets them), else a launch did not
    /// finish its phases and this throws.
    public func takePhaseHandoffCheck(_ buffers: PhaseHandoffBuffers) throws -> PhaseHandoffCheck {
        context.barrier(.all)
        let words = try buffers.counters.readUInt32s(count: buffers.shape.counterWords)
        try buffers.counters.upload([UInt32](repeating: 0, count: words.count))
        let check = PhaseHandoffCheck(wrongReads: Int(words[1]), waitsGivenUp: Int(words[2]))
        let leftover = [words[0]] + Array(words[3...])
        if check.passed, leftover.contains(where: { $0 != 0 }) {
            throw KernelsError.invalidArgument(kernel: "f32_phase_handoff",
                                               message: "the counters were not reset after the launches: tickets and done counts \(leftover)")
        }
        return check
    }

    /// Times one shape: `launches` epochs by ticket and as many one launch a phase, GPU time,
    /// after one warm-up epoch each; then the checks of each.
    public func timePhaseHandoff(_ shape: PhaseHandoffShape, launches: Int) throws -> PhaseHandoffTiming {
        let buffers = try phaseHandoffBuffers(shape)
        let timer = try GPUTimer(context: context)
        var epoch = 1
        // GPU µs a launch and the check of `launches` epochs one way, after a warm-up epoch.
        func measure(byTicket: Bool) throws -> (micros: Double, check: PhaseHandoffCheck) {
            try launchPhaseHandoffEpoch(buffers, epoch: epoch, byTicket: byTicket)
            epoch += 1
            _ = try takePhaseHandoffCheck(buffers)
            try timer.begin("launches")
            for _ in 0 ..< launches {
                try launchPhaseHandoffEpoch(buffers, epoch: epoch, byTicket: byTicket)
                epoch += 1
            }
            try timer.end()
            let resolved = try timer.resolve()
            guard !resolved.isEmpty else {
                throw KernelsError.invalidArgument(kernel: "f32_phase_handoff",
                                                   message: "the GPU timer reported a disjoint interval (its times are unreliable); run the probe again")
            }
            let seconds = resolved.reduce(0) { $0 + $1.seconds }
            return (seconds * 1e6 / Double(max(launches, 1)), try takePhaseHandoffCheck(buffers))
        }
        let tickets = try measure(byTicket: true)
        let separate = try measure(byTicket: false)
        return PhaseHandoffTiming(shape: shape, ticketMicroseconds: tickets.micros, separateMicroseconds: separate.micros,
                                  tickets: tickets.check, separate: separate.check)
    }

    /// The shapes `gptoss-gl probe --phases` times: decode-like launches (66 to 1056 workgroups
    /// of 128 or 256 threads), five phases a launch, plain and atomic values.
    public static let phaseHandoffProbeShapes: [PhaseHandoffShape] = [66, 132, 264, 528, 1056].flatMap { groups in
        [128, 256].flatMap { workgroup in
            [false, true].map { PhaseHandoffShape(phases: 5, groupsPerPhase: groups, workgroup: workgroup, atomicValues: $0) }
        }
    }
}
