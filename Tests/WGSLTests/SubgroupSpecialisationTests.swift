import Foundation
import XCTest
@testable import WGSL

/// The checked-in kernels with a SUBGROUPS override, specialised the way the host does on a
/// device with 32-wide subgroups (SUBGROUPS = 1, 32 threads a row, 128-thread workgroups), must
/// pass glslangValidator for every weight format and fused variant: no GLES driver here has
/// GL_KHR_shader_subgroup, so the plain glslang check of the defaults (ShaderDirectoryTests) and
/// the GLES runs only ever see the shared-memory branch.
final class SubgroupSpecialisationTests: XCTestCase {
    /// `#define OVERRIDE_<name> <value>` lines after #version/#extension, as ShaderSource does.
    private func specialised(_ glsl: String, _ defines: [String: Int]) -> String {
        withDefines(glsl, Dictionary(uniqueKeysWithValues: defines.map { ("OVERRIDE_\($0.key)", "\($0.value)") }))
    }

    func testSubgroupSpecialisationsOfTheKernelsPassGlslang() throws {
        let directory = TestPaths.packageRoot.appendingPathComponent("Shaders/glsl")
        var checked: [String] = []
        for file in try TestPaths.files(in: directory, withExtension: "comp") {
            let glsl = try String(contentsOf: file, encoding: .utf8)
            guard glsl.contains("#ifndef OVERRIDE_SUBGROUPS") else { continue }
            let name = file.deletingPathExtension().lastPathComponent
            checked.append(name)
            XCTAssertTrue(glsl.contains("#if (OVERRIDE_SUBGROUPS == 1)"), "\(name): the subgroup code is not behind #if")
            XCTAssertFalse(glsl.contains("GL_KHR_shader_subgroup_arithmetic : require"), "\(name): subgroups must be enabled, not required")
            // f32_linear's fused variants each have their own subgroup code.
            let fused: [[String: Int]] = glsl.contains("OVERRIDE_NORMALIZE")
                ? [[:], ["NORMALIZE": 1], ["ROPE": 1], ["NORMALIZE": 1, "TOKEN_TILE": 1]] : [[:]]
            for format in 0...4 {
                for extra in fused {
                    let defines = extra.merging(["SUBGROUPS": 1, "THREADS_PER_ROW": 32, "WG_SIZE": 128, "WEIGHT_FORMAT": format]) { a, _ in a }
                    if let problems = try GLSLangValidator.problems(inSource: specialised(glsl, defines), name: "\(name)-sg-\(format)") {
                        XCTFail("glslangValidator rejects \(name) with \(defines.sorted { $0.key < $1.key }):\n\(problems)")
                    }
                }
            }
        }
        XCTAssertEqual(checked, ["f32_linear", "f32_moe_down_sum", "f32_moe_gate_up_swiglu", "f32_out_router_decode"])
    }
}
