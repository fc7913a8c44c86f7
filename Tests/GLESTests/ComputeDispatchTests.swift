import GLES
import XCTest

final class ComputeDispatchTests: XCTestCase {
    static let addShader = """
    #version 310 es
    layout(local_size_x = 64) in;
    layout(std430, binding = 0) readonly buffer A { float a[]; };
    layout(std430, binding = 1) readonly buffer B { float b[]; };
    layout(std430, binding = 2) writeonly buffer C { float c[]; };
    layout(std140, binding = 0) uniform Params { uint count; float scale; };
    void main() {
        uint i = gl_GlobalInvocationID.x;
        if (i < count) { c[i] = a[i] + scale * b[i]; }
    }
    """

    func testAddTwoArraysMatchesCPU() throws {
        let context = try SharedContext.get()
        var rng = SeededGenerator(seed: 42)
        let count = 1000  // not a multiple of the workgroup size: the bounds check matters
        let a = (0..<count).map { _ in Float.random(in: -10...10, using: &rng) }
        let b = (0..<count).map { _ in Float.random(in: -10...10, using: &rng) }
        let scale: Float = 0.5
        let program = try context.makeProgram(name: "test_add", glsl: Self.addShader)
        XCTAssertEqual(program.workgroupSize, [64, 1, 1])
        let bufferA = try context.makeBuffer(array: a, label: "a")
        let bufferB = try context.makeBuffer(array: b, label: "b")
        let bufferC = try context.makeBuffer(byteCount: count * 4, label: "c")
        try bufferC.zero()

        var params = Std140Writer()
        params.uint(UInt32(count))
        params.float(scale)
        try context.dispatch(program,
                             storage: [StorageBinding(index: 0, buffer: bufferA), StorageBinding(index: 1, buffer: bufferB),
                                       StorageBinding(index: 2, buffer: bufferC)],
                             uniforms: [UniformBinding(index: 0, std140: params)],
                             groups: ((count + 63) / 64, 1, 1))
        context.barrier()
        let result = try bufferC.readFloats()
        XCTAssertEqual(result.count, count)
        for i in 0..<count {
            XCTAssertEqual(result[i], a[i] + scale * b[i], accuracy: 1e-5, "element \(i)")
        }
    }

    func testStorageBindingOverTheBlockLimitThrowsBeforeDispatch() throws {
        let context = try SharedContext.get()
        let program = try context.makeProgram(name: "test_add", glsl: Self.addShader)
        let limit = context.limits.maxShaderStorageBlockSize
        let small = try context.makeBuffer(byteCount: 256, label: "small")
        // A binding one byte past the limit on a buffer that is big enough for it.
        let big = try context.makeBuffer(byteCount: limit + 16, label: "big")
        XCTAssertThrowsError(try context.dispatch(
            program, storage: [StorageBinding(index: 0, buffer: small), StorageBinding(index: 1, buffer: small),
                               StorageBinding(index: 2, buffer: big, offset: 0, size: limit + 1)],
            groups: (1, 1, 1))) { error in
            guard case GLESError.bindingTooLarge(let name, let index, let size, let reported) = error else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertEqual(name, "test_add")
            XCTAssertEqual(index, 2)
            XCTAssertEqual(size, limit + 1)
            XCTAssertEqual(reported, limit)
            XCTAssertTrue(error.localizedDescription.contains("GL_MAX_SHADER_STORAGE_BLOCK_SIZE"))
        }
    }

    func testMisalignedAndOutOfRangeBindingsThrow() throws {
        let context = try SharedContext.get()
        let program = try context.makeProgram(name: "test_add", glsl: Self.addShader)
        let buffer = try context.makeBuffer(byteCount: 1024, label: "buf")
        let alignment = context.limits.shaderStorageBufferOffsetAlignment
        if alignment > 1 {
            XCTAssertThrowsError(try context.dispatch(program, storage: [StorageBinding(index: 0, buffer: buffer, offset: alignment / 2, size: 16)],
                                                      groups: (1, 1, 1))) { error in
                guard case GLESError.bindingMisaligned = error else { return XCTFail("unexpected error \(error)") }
            }
        }
        XCTAssertThrowsError(try context.dispatch(program, storage: [StorageBinding(index: 0, buffer: buffer, offset: 512, size: 1024)],
                                                  groups: (1, 1, 1))) { error in
            guard case GLESError.bindingOutOfRange(_, let label, _, _, _, _) = error else { return XCTFail("unexpected error \(error)") }
            XCTAssertEqual(label, "buf")
        }
    }

    func testDispatchOverTheWorkgroupCountLimitThrows() throws {
        let context = try SharedContext.get()
        let program = try context.makeProgram(name: "test_add", glsl: Self.addShader)
        let buffer = try context.makeBuffer(byteCount: 256, label: "buf")
        let tooMany = context.limits.maxComputeWorkGroupCount[0] + 1
        XCTAssertThrowsError(try context.dispatch(program, storage: [StorageBinding(index: 0, buffer: buffer)],
                                                  groups: (tooMany, 1, 1))) { error in
            guard case GLESError.dispatchTooLarge(let name, let groups, _) = error else { return XCTFail("unexpected error \(error)") }
            XCTAssertEqual(name, "test_add")
            XCTAssertEqual(groups, [tooMany, 1, 1])
        }
    }

    func testStd140WriterAlignsVectorsAndPadsTheBlock() {
        var writer = Std140Writer()
        writer.uint(1)
        writer.vec2(2, 3)       // aligned to 8: starts at byte 8
        writer.float(4)         // byte 16
        writer.uvec4(5, 6, 7, 8)  // aligned to 16: starts at byte 32
        writer.int(-1)          // byte 48
        let block = writer.block
        XCTAssertEqual(block.count, 64)
        func word(_ offset: Int) -> UInt32 { block[offset..<offset + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) } }
        XCTAssertEqual(word(0), 1)
        XCTAssertEqual(word(8), Float(2).bitPattern)
        XCTAssertEqual(word(12), Float(3).bitPattern)
        XCTAssertEqual(word(16), Float(4).bitPattern)
        XCTAssertEqual([word(32), word(36), word(40), word(44)], [5, 6, 7, 8])
        XCTAssertEqual(word(48), UInt32.max)
        XCTAssertEqual(word(4), 0)
    }
}
