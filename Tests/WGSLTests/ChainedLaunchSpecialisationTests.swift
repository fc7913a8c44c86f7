import Foundation
import XCTest
@testable import WGSL

/// Every checked-in kernel compiled the way KernelLibrary compiles its chained-launch twin
/// (CHAINED_LAUNCH and its bindings defined, as ChainedLaunch.defines does) must pass
/// glslangValidator, and its wrapper must have replaced `main` exactly once. llvmpipe runs the
/// chained twins of the kernels the model uses (StepPlanTests' wide tuning); this covers every
/// kernel, every weight format, on the reference compiler.
final class ChainedLaunchSpecialisationTests: XCTestCase {
    private static let defines = ["CHAINED_LAUNCH": "1", "CHAINED_LAUNCH_BINDING": "15", "CHAINED_LAUNCH_UNIFORM": "1",
                                  "CHAINED_LAUNCH_ROUNDS": "4096"]

    func testChainedTwinsOfEveryKernelPassGlslang() throws {
        let directory = TestPaths.packageRoot.appendingPathComponent("Shaders/glsl")
        var checked = 0
        for file in try TestPaths.files(in: directory, withExtension: "comp") {
            let glsl = try String(contentsOf: file, encoding: .utf8)
            let name = file.deletingPathExtension().lastPathComponent
            XCTAssertEqual(glsl.components(separatedBy: "void main() {").count - 1, 2, "\(name): the kernel's main and the chained wrapper's")
            XCTAssertEqual(glsl.components(separatedBy: "void \(GLSLWriter.chainedBodyName)() {").count - 1, 1, name)
            XCTAssertNil(glsl.range(of: #"layout\(std430, binding = \d+\) restrict"#, options: .regularExpression),
                         "\(name): a storage block without CHAINED_COHERENT")
            for format in glsl.contains("#ifndef OVERRIDE_WEIGHT_FORMAT") ? Array(0...4) : [-1] {
                var defines = Self.defines
                if format >= 0 { defines["OVERRIDE_WEIGHT_FORMAT"] = "\(format)" }
                if let problems = try GLSLangValidator.problems(inSource: withDefines(glsl, defines), name: "\(name)-chained-\(format)") {
                    XCTFail("glslangValidator rejects the chained twin of \(name) (format \(format)):\n\(problems)")
                }
            }
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 20)
    }

    /// Without CHAINED_LAUNCH the preprocessor leaves the kernel as it was: one `main`, no
    /// counters, storage blocks without `coherent`.
    func testUnchainedKernelIsUnchanged() throws {
        let source = """
        @group(0) @binding(0) var<storage, read> a: array<f32>;
        @group(0) @binding(1) var<storage, read_write> b: array<f32>;
        @compute @workgroup_size(64)
        fn main(@builtin(global_invocation_id) id: vec3<u32>) {
            if (id.x >= arrayLength(&b)) { return; }
            b[id.x] = a[id.x] * 2.0;
        }
        """
        let glsl = try WGSLTranslator.translate(source: source, fileName: "chained.wgsl").glsl
        XCTAssertTrue(glsl.contains("layout(std430, binding = 0) CHAINED_COHERENT restrict readonly buffer"))
        XCTAssertTrue(glsl.contains("#define CHAINED_COHERENT coherent"))
        if let problems = try GLSLangValidator.problems(inSource: glsl, name: "unchained") { XCTFail(problems) }
        if let problems = try GLSLangValidator.problems(inSource: withDefines(glsl, Self.defines), name: "chained") { XCTFail(problems) }
    }
}
