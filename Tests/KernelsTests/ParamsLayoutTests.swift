import XCTest
@testable import Kernels

/// The launchers write each kernel's params by name (`UniformWriter`); the first launch of a
/// program checks the names and types against the translator's reflection (`ParamsLayout`). The
/// GPU tests of every launcher run that check; these show it catches a wrong order.
final class ParamsLayoutTests: XCTestCase {
    func testEveryKernelHasAReflectedParamsLayout() throws {
        let shaders = try ShaderLibrary.located()
        for kernel in Kernel.allCases {
            let layout = try shaders.paramsLayout(kernel.shader)
            XCTAssertFalse(layout.fields.isEmpty, kernel.shader)
            XCTAssertEqual(layout.fields.count % 4, 0, "\(kernel.shader): params padded to 16 bytes")
        }
    }

    func testWritesInTheDeclaredOrderPassAndASwappedPairFails() throws {
        let layout = try ShaderLibrary.located().paramsLayout(Kernel.rmsNorm.shader)
        func write(swapped: Bool) -> UniformWriter {
            var p = UniformWriter(recording: true)
            p.u32("n", 64); p.u32("n_tokens", 1)
            if swapped { p.u32("y_stride", 64); p.u32("x_stride", 64) } else { p.u32("x_stride", 64); p.u32("y_stride", 64) }
            p.f32("eps", 1e-5); p.u32("x_offset", 0); p.u32("pad1", 0); p.u32("pad2", 0)
            return p
        }
        XCTAssertNoThrow(try layout.check(written: write(swapped: false).fields ?? []))
        XCTAssertThrowsError(try layout.check(written: write(swapped: true).fields ?? [])) { error in
            XCTAssertEqual(error as? KernelsError, .paramsMismatch(shader: "f32_rmsnorm", field: 2,
                                                                  written: "y_stride: u32", expected: "x_stride: u32"))
        }
    }

    func testAWrongTypeOrAMissingFieldFails() throws {
        let layout = try ShaderLibrary.located().paramsLayout(Kernel.kvAppend.shader)
        var p = UniformWriter(recording: true)
        p.f32("n_tokens", 1)
        XCTAssertThrowsError(try layout.check(written: p.fields ?? [])) { error in
            XCTAssertEqual(error as? KernelsError, .paramsMismatch(shader: "f32_kv_append", field: 0,
                                                                  written: "n_tokens: f32", expected: "n_tokens: u32"))
        }
        var short = UniformWriter(recording: true)
        short.u32("n_tokens", 1)
        XCTAssertThrowsError(try layout.check(written: short.fields ?? [])) { error in
            XCTAssertEqual(error as? KernelsError, .paramsMismatch(shader: "f32_kv_append", field: 1,
                                                                  written: "nothing", expected: "row_floats: u32"))
        }
    }

    /// The check runs in the real launch path: a reflection whose params order differs from the
    /// launcher's writes (here x_stride and y_stride swapped in a copy of the shader folder)
    /// makes the launch throw before anything is dispatched.
    func testALauncherAgainstAReorderedReflectionThrows() throws {
        let original = try ShaderLibrary.located().directory
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("gptoss-gl-params-\(getpid())")
        try? FileManager.default.removeItem(at: copy)
        try FileManager.default.copyItem(at: original, to: copy)
        defer { try? FileManager.default.removeItem(at: copy) }
        let json = copy.appendingPathComponent("f32_rmsnorm.json")
        let text = try String(contentsOf: json, encoding: .utf8)
        let swapped = text.replacingOccurrences(of: "\"x_stride\"", with: "\"@\"")
            .replacingOccurrences(of: "\"y_stride\"", with: "\"x_stride\"").replacingOccurrences(of: "\"@\"", with: "\"y_stride\"")
        XCTAssertNotEqual(swapped, text)
        try swapped.write(to: json, atomically: true, encoding: .utf8)

        let kernels = try KernelLibrary(context: GPU.context, shaders: ShaderLibrary(directory: copy), tuning: .portable)
        let x = try GPU.buffer([Float](repeating: 1, count: 64), "x"), w = try GPU.buffer([Float](repeating: 1, count: 64), "w")
        let y = try GPU.zeros(64, "y")
        XCTAssertThrowsError(try kernels.rmsNorm(RMSNormArgs(input: x, weight: w, output: y, width: 64, tokens: 1, eps: 1e-5))) { error in
            XCTAssertEqual(error as? KernelsError, .paramsMismatch(shader: "f32_rmsnorm", field: 2,
                                                                  written: "x_stride: u32", expected: "y_stride: u32"))
        }
    }
}
