import GLES
import XCTest

final class BufferTests: XCTestCase {
    func testUploadReadbackRoundTripAndMemoryCounter() throws {
        let context = try SharedContext.get()
        let before = context.memory
        var rng = SeededGenerator(seed: 7)
        let bytes = (0..<4099).map { _ in UInt8.random(in: 0...255, using: &rng) }
        do {
            let buffer = try context.makeBuffer(array: bytes, label: "roundtrip")
            XCTAssertEqual(buffer.byteCount, 4099)
            XCTAssertEqual(context.memory.allocatedBytes, before.allocatedBytes + 4099)
            XCTAssertEqual(context.memory.bufferCount, before.bufferCount + 1)
            XCTAssertEqual(try buffer.read(), bytes)
            XCTAssertEqual(try buffer.read(at: 1000, count: 17), Array(bytes[1000..<1017]))
        }
        XCTAssertEqual(context.memory.allocatedBytes, before.allocatedBytes, "released buffers leave the counter")
        XCTAssertGreaterThanOrEqual(context.memory.peakBytes, before.allocatedBytes + 4099)
    }

    func testChunkedStreamingUploadAtAnOffset() throws {
        let context = try SharedContext.get()
        let count = 10_000
        let values = (0..<count).map { UInt32($0 &* 2_654_435_761 & 0xFFFF_FFFF) }
        let buffer = try context.makeBuffer(byteCount: 64 + count * 4, label: "streamed")
        try buffer.zero()
        var offsets: [Int] = []
        // 1000-byte chunks: not a multiple of 4, so chunk edges split values.
        try values.withUnsafeBytes { source in
            try buffer.upload(at: 64, byteCount: source.count, chunkBytes: 1000) { chunk, offset in
                offsets.append(offset)
                chunk.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<offset + chunk.count]))
            }
        }
        XCTAssertEqual(offsets.count, (count * 4 + 999) / 1000)
        XCTAssertEqual(try buffer.readUInt32s(at: 64, count: count), values)
        XCTAssertEqual(try buffer.read(at: 0, count: 64), [UInt8](repeating: 0, count: 64))
    }

    func testTypedReadsAndCopyAndZero() throws {
        let context = try SharedContext.get()
        let floats: [Float] = [1.5, -2.25, 3.0, .infinity, 0, -0.0, 1e-30, 65504]
        let source = try context.makeBuffer(array: floats, label: "floats")
        XCTAssertEqual(try source.readFloats(), floats)
        let destination = try context.makeBuffer(byteCount: 64, label: "copy")
        try destination.zero()
        try destination.copy(from: source, sourceOffset: 8, to: 16, byteCount: 12)
        let copied = try destination.readFloats()
        XCTAssertEqual(Array(copied[4..<7]), Array(floats[2..<5]))
        XCTAssertEqual(copied[3], 0)
        XCTAssertEqual(copied[7], 0)
        try destination.zero(at: 16, byteCount: 4)
        XCTAssertEqual(try destination.readFloats(at: 16, count: 2), [0, floats[3]])
    }

    func testOutOfRangeAccessesThrowNamingTheBuffer() throws {
        let context = try SharedContext.get()
        let buffer = try context.makeBuffer(byteCount: 16, label: "tiny")
        for attempt in [{ _ = try buffer.read(at: 8, count: 9) },
                        { try buffer.upload([UInt32](repeating: 1, count: 5)) },
                        { try buffer.zero(at: -1, byteCount: 4) }] {
            XCTAssertThrowsError(try attempt()) { error in
                guard case GLESError.rangeOutOfBounds(let label, _, _, _, _) = error else { return XCTFail("unexpected \(error)") }
                XCTAssertEqual(label, "tiny")
            }
        }
        XCTAssertThrowsError(try context.makeBuffer(byteCount: 0, label: "empty")) { error in
            XCTAssertEqual(error as? GLESError, .invalidArgument("Buffer 'empty': byte count must be positive, got 0."))
        }
    }

    func testAllocationLargerThanDeviceMemoryIsOutOfMemory() throws {
        let context = try SharedContext.get()
        guard let limit = context.limits.maxBufferSize else { throw XCTSkip("device memory unknown") }
        XCTAssertThrowsError(try context.makeBuffer(byteCount: limit + 1, label: "huge weights")) { error in
            guard case GLESError.outOfMemory(let label, let size, _) = error else { return XCTFail("unexpected \(error)") }
            XCTAssertEqual(label, "huge weights")
            XCTAssertEqual(size, limit + 1)
            XCTAssertTrue(error.localizedDescription.contains("huge weights"))
        }
    }
}
