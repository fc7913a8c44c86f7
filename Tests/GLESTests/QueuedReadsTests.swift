@testable import GLES
import XCTest

/// An upload into a buffer that a queued launch reads waits for that launch first
/// (`QueuedReads`: on the H100 such an upload overtook the launch), and only then.
final class QueuedReadsTests: XCTestCase {
    private static let copyShader = """
    #version 310 es
    layout(local_size_x = 4) in;
    layout(std430, binding = 0) readonly buffer In { uint src[]; };
    layout(std430, binding = 1) buffer Out { uint dst[]; };
    void main() { dst[gl_LocalInvocationIndex] = src[gl_LocalInvocationIndex] + 1u; }
    """

    func testAnUploadWaitsOnlyForQueuedLaunchesThatBindItsBuffer() throws {
        let context = try SharedContext.get()
        let program = try context.makeProgram(name: "copy_plus_one", glsl: Self.copyShader)
        let input = try context.makeBuffer(array: [UInt32(1), 2, 3, 4], label: "in")
        let first = try context.makeBuffer(byteCount: 16, label: "first")
        let second = try context.makeBuffer(byteCount: 16, label: "second")
        let untouched = try context.makeBuffer(byteCount: 16, label: "untouched")
        try context.finish()
        let waitsBefore = context.queuedReads.waits

        // Nothing queued binds `untouched`: no wait.
        try untouched.upload([UInt32(9), 9, 9, 9])
        XCTAssertEqual(context.queuedReads.waits, waitsBefore)

        // A launch reads `input`; the next ids go into `input` right behind it, as a prefill
        // step uploads its token ids: the upload waits, and the launch saw the old values.
        try context.dispatch(program, storage: [StorageBinding(index: 0, buffer: input), StorageBinding(index: 1, buffer: first)],
                             groups: (1, 1, 1))
        context.barrier()
        XCTAssertTrue(context.queuedReads.mayBeRead(lastLaunch: input.lastLaunch))
        try input.upload([UInt32(10), 20, 30, 40])
        XCTAssertEqual(context.queuedReads.waits, waitsBefore + 1, "the upload waited for the launch that reads the buffer")
        XCTAssertFalse(context.queuedReads.mayBeRead(lastLaunch: input.lastLaunch))
        try context.dispatch(program, storage: [StorageBinding(index: 0, buffer: input), StorageBinding(index: 1, buffer: second)],
                             groups: (1, 1, 1))
        context.barrier()
        XCTAssertEqual(try first.readUInt32s(count: 4), [2, 3, 4, 5])
        XCTAssertEqual(try second.readUInt32s(count: 4), [11, 21, 31, 41])

        // After a finish nothing is queued: uploads into bound buffers need no wait either.
        try context.finish()
        let waitsAfterFinish = context.queuedReads.waits
        try input.upload([UInt32(0), 0, 0, 0])
        try first.zero()
        XCTAssertEqual(context.queuedReads.waits, waitsAfterFinish)
    }

    /// A readback of what the last launch wrote leaves nothing queued (its fence has signalled),
    /// so the next upload into a buffer that launch read does not wait: a decode step's token id.
    func testAReadbackAfterTheLastLaunchSparesTheNextUploadItsWait() throws {
        let context = try SharedContext.get()
        let program = try context.makeProgram(name: "copy_plus_one", glsl: Self.copyShader)
        let input = try context.makeBuffer(array: [UInt32(5), 6, 7, 8], label: "token ids")
        let output = try context.makeBuffer(byteCount: 16, label: "record")
        try context.dispatch(program, storage: [StorageBinding(index: 0, buffer: input), StorageBinding(index: 1, buffer: output)],
                             groups: (1, 1, 1))
        context.barrier()
        XCTAssertEqual(try output.readUInt32s(count: 4), [6, 7, 8, 9])
        let waits = context.queuedReads.waits
        XCTAssertFalse(context.queuedReads.mayBeRead(lastLaunch: input.lastLaunch))
        try input.upload([UInt32(1), 1, 1, 1])
        XCTAssertEqual(context.queuedReads.waits, waits)
    }

    func testSerialsCountLaunches() {
        var reads = QueuedReads()
        XCTAssertFalse(reads.mayBeRead(lastLaunch: 0), "a buffer no launch bound is never waited for")
        let a = reads.nextLaunch(), b = reads.nextLaunch()
        XCTAssertEqual([a, b], [1, 2])
        XCTAssertTrue(reads.mayBeRead(lastLaunch: a))
        reads.allFinished(counting: true)
        XCTAssertFalse(reads.mayBeRead(lastLaunch: b))
        XCTAssertEqual(reads.waits, 1)
        let c = reads.nextLaunch(), d = reads.nextLaunch()
        reads.finished(upTo: c)
        XCTAssertFalse(reads.mayBeRead(lastLaunch: c))
        XCTAssertTrue(reads.mayBeRead(lastLaunch: d))
        reads.finished(upTo: a)
        XCTAssertFalse(reads.mayBeRead(lastLaunch: c), "finished never goes back")
    }
}
