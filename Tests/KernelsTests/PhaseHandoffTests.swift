import XCTest
import GLES
@testable import Kernels

/// The phase hand-off probe (`f32_phase_handoff.wgsl`, `gptoss-gl probe --phases`): dependent
/// phases inside one launch, workgroups ordered by tickets. llvmpipe runs each workgroup to the
/// end on one thread, so a workgroup that waits only for earlier tickets always sees them
/// finish there too; these check the kernel's ordering, its self-check and its bail-out.
final class PhaseHandoffTests: XCTestCase {
    /// Shapes with more workgroups than llvmpipe has threads, so that waits really wait.
    private let shapes = [PhaseHandoffShape(phases: 4, groupsPerPhase: 37, workgroup: 64),
                          PhaseHandoffShape(phases: 3, groupsPerPhase: 66, workgroup: 128, atomicValues: true),
                          PhaseHandoffShape(phases: 1, groupsPerPhase: 5, workgroup: 32)]

    /// Every read finds the value the phase before wrote, launch after launch, by tickets and
    /// one launch a phase, and each launch leaves its counters at zero for the next.
    func testEveryHandoffIsOrderedAndVisible() throws {
        let kernels = try GPU.library()
        for shape in shapes {
            let buffers = try kernels.phaseHandoffBuffers(shape)
            for epoch in 1 ... 3 {
                for byTicket in [true, false] {
                    try kernels.launchPhaseHandoffEpoch(buffers, epoch: 2 * epoch + (byTicket ? 0 : 1), byTicket: byTicket)
                    XCTAssertEqual(try kernels.takePhaseHandoffCheck(buffers), PhaseHandoffCheck(wrongReads: 0, waitsGivenUp: 0),
                                   "\(shape), epoch \(epoch), \(byTicket ? "tickets" : "separate")")
                    let values = try buffers.values.readUInt32s(count: shape.phases * shape.groupsPerPhase * shape.workgroup)
                    let stride = shape.groupsPerPhase * shape.workgroup
                    for phase in 0 ..< shape.phases {
                        let wanted = UInt32((2 * epoch + (byTicket ? 0 : 1)) * 1000 + phase)
                        XCTAssertTrue(values[phase * stride ..< (phase + 1) * stride].allSatisfy { $0 == wanted },
                                      "\(shape): phase \(phase) did not store \(wanted) everywhere")
                    }
                }
            }
        }
    }

    /// A read of a value the phase before did not write counts: a launch of phase 1 whose epoch
    /// differs from phase 0's finds every one of its partners' values wrong.
    func testReadsOfOtherValuesAreCounted() throws {
        let kernels = try GPU.library()
        let shape = PhaseHandoffShape(phases: 2, groupsPerPhase: 9, workgroup: 64)
        let buffers = try kernels.phaseHandoffBuffers(shape)
        try kernels.launchPhaseHandoff(buffers, epoch: 4, separatePhase: 0)
        try kernels.launchPhaseHandoff(buffers, epoch: 5, separatePhase: 1)
        XCTAssertEqual(try kernels.takePhaseHandoffCheck(buffers), PhaseHandoffCheck(wrongReads: 9 * 64 * 4, waitsGivenUp: 0))
    }

    /// A wait that cannot end gives up after its rounds, is counted, and the launch finishes
    /// (it never hangs): waiting for one workgroup more than a phase has.
    func testAWaitThatCannotEndGivesUpAndIsCounted() throws {
        let kernels = try GPU.library()
        let shape = PhaseHandoffShape(phases: 3, groupsPerPhase: 4, workgroup: 32)
        let buffers = try kernels.phaseHandoffBuffers(shape)
        try kernels.launchPhaseHandoff(buffers, epoch: 1, waitExtra: 1, rounds: 1)
        let check = try kernels.takePhaseHandoffCheck(buffers)
        XCTAssertEqual(check.waitsGivenUp, 2 * 4, "every workgroup of phases 1 and 2 gives up once")
        XCTAssertFalse(check.passed)
    }

    /// The timing runs both ways and reports their checks; on llvmpipe only the checks are
    /// meaningful (its timer is the CPU clock around glFinish).
    func testTimingReportsBothWaysAndTheirChecks() throws {
        let kernels = try GPU.library()
        let timing = try kernels.timePhaseHandoff(PhaseHandoffShape(phases: 3, groupsPerPhase: 12, workgroup: 64), launches: 3)
        XCTAssertTrue(timing.tickets.passed && timing.separate.passed, timing.line)
        XCTAssertGreaterThan(timing.ticketMicroseconds, 0)
        XCTAssertGreaterThan(timing.separateMicroseconds, 0)
        XCTAssertTrue(timing.line.hasSuffix(": ok"), timing.line)
    }

    /// Shapes the device cannot run are refused with the reason, before any launch.
    func testShapesTheDeviceCannotRunAreRefused() throws {
        let kernels = try GPU.library()
        let tooWide = GPU.context.limits.maxComputeWorkGroupInvocations + 1
        XCTAssertThrowsError(try kernels.phaseHandoffBuffers(PhaseHandoffShape(phases: 2, groupsPerPhase: 2, workgroup: tooWide))) {
            XCTAssertTrue("\($0)".contains("more than this device"), "\($0)")
        }
        XCTAssertThrowsError(try kernels.phaseHandoffBuffers(PhaseHandoffShape(phases: 0, groupsPerPhase: 2, workgroup: 32)))
    }
}
