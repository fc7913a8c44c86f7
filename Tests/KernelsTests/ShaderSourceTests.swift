import XCTest
@testable import Kernels

final class ShaderSourceTests: XCTestCase {
    let glsl = """
    #version 310 es
    #extension GL_EXT_shader_io_blocks : enable
    #ifndef OVERRIDE_WG_SIZE
    #define OVERRIDE_WG_SIZE 64u
    #endif
    layout(local_size_x = OVERRIDE_WG_SIZE) in;
    void main() {}
    """

    func testSpecialisationGoesAfterVersionAndExtensions() throws {
        let source = try ShaderSource(name: "demo", glsl: glsl)
        XCTAssertEqual(source.overrideNames, ["WG_SIZE"])
        let lines = try source.specialised(["WG_SIZE": .u32(128)]).split(separator: "\n")
        XCTAssertEqual(lines[2], "#define OVERRIDE_WG_SIZE 128")
        XCTAssertTrue(lines[1].hasPrefix("#extension"))
    }

    func testUnknownOverrideIsAnError() throws {
        let source = try ShaderSource(name: "demo", glsl: glsl)
        XCTAssertThrowsError(try source.specialised(["TILE": .u32(4)])) { error in
            XCTAssertEqual(error as? KernelsError, .unknownOverride(shader: "demo", name: "TILE", known: ["WG_SIZE"]))
        }
        XCTAssertThrowsError(try ShaderSource(name: "broken", glsl: "void main() {}")) { error in
            XCTAssertEqual(error as? KernelsError, .malformedShader(name: "broken", reason: "no #version line"))
        }
    }

    func testProgramKeysDifferBySpecialisation() {
        let a = ProgramKey("f32_linear", ["WEIGHT_FORMAT": .u32(3)])
        let b = ProgramKey("f32_linear", ["WEIGHT_FORMAT": .u32(4)])
        XCTAssertNotEqual(a, b)
        XCTAssertEqual(a, ProgramKey("f32_linear", ["WEIGHT_FORMAT": .u32(3)]))
        XCTAssertEqual(a.description, "f32_linear[WEIGHT_FORMAT=3]")
    }

    func testEveryKernelHasTranslatedGLSL() throws {
        let library = try ShaderLibrary.located()
        let wgsl = library.directory.deletingLastPathComponent().appendingPathComponent("wgsl")
        let names = try FileManager.default.contentsOfDirectory(atPath: wgsl.path).filter { $0.hasSuffix(".wgsl") && $0.hasPrefix("f32_") }
        XCTAssertGreaterThanOrEqual(names.count, 12)
        for name in names {
            let source = try library.source(String(name.dropLast(5)))
            XCTAssertFalse(source.overrideNames.isEmpty, "\(name) declares overrides")
        }
    }

    /// The launchers pack params as consecutive 32-bit scalars (`UniformWriter`): every kernel's
    /// uniform block must have exactly that std140 layout in the translator's reflection.
    func testUniformBlocksAreConsecutiveScalars() throws {
        let library = try ShaderLibrary.located()
        let files = try FileManager.default.contentsOfDirectory(atPath: library.directory.path).filter { $0.hasPrefix("f32_") && $0.hasSuffix(".json") }
        XCTAssertGreaterThanOrEqual(files.count, 12)
        for file in files {
            let data = try Data(contentsOf: library.directory.appendingPathComponent(file))
            let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            let bindings = try XCTUnwrap(json["bindings"] as? [[String: Any]], file)
            let uniform = try XCTUnwrap(bindings.first { $0["kind"] as? String == "uniform" }, "\(file): a params block")
            XCTAssertEqual(uniform["glslBinding"] as? Int, 0, file)
            let members = try XCTUnwrap((uniform["layout"] as? [String: Any])?["members"] as? [[String: Any]], file)
            XCTAssertEqual(members.count % 4, 0, "\(file): params padded to 16 bytes")
            for (index, member) in members.enumerated() {
                XCTAssertEqual(member["offset"] as? Int, index * 4, "\(file): \(member["name"] ?? "?")")
                XCTAssertEqual(member["size"] as? Int, 4, "\(file): \(member["name"] ?? "?")")
            }
        }
    }
}
