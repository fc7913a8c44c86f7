@testable import GLES
import XCTest

final class ProgramTests: XCTestCase {
    func testCompileErrorNamesTheShaderAndQuotesNumberedLines() throws {
        let context = try SharedContext.get()
        let source = """
        #version 310 es
        layout(local_size_x = 8, local_size_y = 2) in;
        layout(std430, binding = 0) buffer Out { float data[]; };
        void main() {
            data[gl_GlobalInvocationID.x] = undefined_thing * 2.0;
        }
        """
        XCTAssertThrowsError(try context.makeProgram(name: "broken_kernel", glsl: source)) { error in
            guard case GLESError.compileFailed(let shader, let stage, _, let excerpt) = error else { return XCTFail("unexpected \(error)") }
            XCTAssertEqual(shader, "broken_kernel")
            XCTAssertEqual(stage, "compute")
            XCTAssertTrue(excerpt.contains(">   5 |     data[gl_GlobalInvocationID.x] = undefined_thing"), excerpt)
            XCTAssertTrue(excerpt.contains("    3 | layout(std430"), excerpt)
            XCTAssertTrue(error.localizedDescription.contains("broken_kernel"))
            XCTAssertTrue(error.localizedDescription.contains("undefined_thing"))
        }
    }

    func testErrorLineFormatsOfDifferentDrivers() throws {
        // Logs as Mesa, NVIDIA and glslang write them.
        for log in ["0:5(19): error: `undefined_thing' undeclared", "0(5) : error C1008: undefined variable",
                    "ERROR: 0:5: 'undefined_thing' : undeclared identifier"] {
            let source = (1...8).map { "line\($0)" }.joined(separator: "\n")
            XCTAssertEqual(try excerptLines(source: source, log: log), [3, 4, 5, 6, 7], log)
        }
    }

    private func excerptLines(source: String, log: String) throws -> [Int] {
        ShaderCompiler.sourceExcerpt(source, log: log)
            .split(separator: "\n").compactMap { Int($0.dropFirst().split(separator: "|")[0].trimmingCharacters(in: .whitespaces)) }
    }

    func testWorkgroupSizeIsReflected() throws {
        let context = try SharedContext.get()
        let program = try context.makeProgram(name: "wg", glsl: """
        #version 310 es
        layout(local_size_x = 8, local_size_y = 4, local_size_z = 2) in;
        layout(std430, binding = 0) buffer Out { uint data[]; };
        void main() { data[gl_LocalInvocationIndex] = gl_LocalInvocationIndex; }
        """)
        XCTAssertEqual(program.workgroupSize, [8, 4, 2])
        XCTAssertEqual(program.invocationsPerWorkgroup, 64)
    }

    func testIndirectDispatchReadsGroupCountsFromABuffer() throws {
        let context = try SharedContext.get()
        let program = try context.makeProgram(name: "mark_groups", glsl: """
        #version 310 es
        layout(local_size_x = 1) in;
        layout(std430, binding = 0) buffer Out { uint data[]; };
        void main() { data[gl_WorkGroupID.x] = gl_WorkGroupID.x + 1u; }
        """)
        let output = try context.makeBuffer(byteCount: 16 * 4, label: "out")
        try output.zero()
        let arguments = try context.makeBuffer(array: [UInt32(5), 1, 1], label: "args")
        try context.dispatchIndirect(program, storage: [StorageBinding(index: 0, buffer: output)], arguments: arguments)
        context.barrier()
        XCTAssertEqual(try output.readUInt32s(), [1, 2, 3, 4, 5] + [UInt32](repeating: 0, count: 11))
    }
}
