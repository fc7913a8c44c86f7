@testable import GLES
import XCTest

/// Every way of uploading uniform blocks must deliver each dispatch its own block, including
/// blocks that repeat (the `.cached` mode binds an earlier upload again) and more distinct
/// blocks than there are slots (slots are reused while earlier dispatches may still be queued).
final class UniformUploadTests: XCTestCase {
    static let accumulateShader = """
    #version 310 es
    layout(local_size_x = 1) in;
    layout(std430, binding = 0) buffer Sums { uint sums[]; };
    layout(std140, binding = 0) uniform Params { uint slot; uint value; };
    void main() { sums[slot] += value; }
    """

    func testEveryModeDeliversEachDispatchItsOwnBlock() throws {
        let context = try SharedContext.get()
        let original = context.uniformUpload
        defer { context.uniformUpload = original }
        let program = try context.makeProgram(name: "test_uniform_accumulate", glsl: Self.accumulateShader)
        let slots = 257
        // 300 blocks twice (the second time `.cached` binds the first uploads again), then 8500
        // distinct blocks (more than the 8192 slots: every slot is reused, after the in-flight
        // limit has waited for its readers), then the first 300 again (`.cached` must upload
        // them anew, not bind the slots it evicted them from).
        let early = (0 ..< 300).map { i in (slot: UInt32(i % slots), value: UInt32(i % 11 + 1)) }
        let fresh = (0 ..< 8500).map { i in (slot: UInt32(i % slots), value: UInt32(1000 + i)) }
        let blocks = early + early + fresh + early
        var expected = [UInt32](repeating: 0, count: slots)
        for b in blocks { expected[Int(b.slot)] += b.value }

        for mode in UniformUploadMode.allCases {
            context.uniformUpload = mode
            let sums = try context.makeBuffer(byteCount: slots * 4, label: "sums")
            try sums.zero()
            for b in blocks {
                var params = Std140Writer()
                params.uint(b.slot)
                params.uint(b.value)
                try context.dispatch(program, storage: [StorageBinding(index: 0, buffer: sums)],
                                     uniforms: [UniformBinding(index: 0, std140: params)], groups: (1, 1, 1))
                context.barrier(.storage)
            }
            XCTAssertEqual(try sums.readUInt32s(count: slots), expected, "uniform upload mode \(mode)")
        }
    }

    /// The limit's promise: when use n is handed out, every use below n - limit - interval is
    /// known finished, and nothing is claimed finished before its fence was waited for.
    func testInFlightLimitKnowsWhatFinished() throws {
        let context = try SharedContext.get()
        try context.makeCurrent()
        let limit = InFlightLimit(interval: 4, limit: 8)
        for n in 0 ..< 50 {
            XCTAssertEqual(try limit.next(), n)
            XCTAssertGreaterThanOrEqual(limit.completedBefore, n - 8 - 4, "use \(n)")
            XCTAssertLessThanOrEqual(limit.completedBefore, max(0, n - 8 + 1), "use \(n)")
        }
        limit.drain()
        XCTAssertEqual(limit.completedBefore, 50)
    }
}
