import Foundation
import XCTest
@testable import WGSL

/// The checked-in kernels: Shaders/glsl must be exactly what the translator makes of
/// Shaders/wgsl, and every generated shader must pass glslangValidator.
final class ShaderDirectoryTests: XCTestCase {
    func testCheckedInGLSLIsUpToDate() throws {
        let report = try ShaderDirectory.synchronize(
            wgslDirectory: TestPaths.packageRoot.appendingPathComponent("Shaders/wgsl"),
            glslDirectory: TestPaths.packageRoot.appendingPathComponent("Shaders/glsl"),
            write: false)
        XCTAssertTrue(report.failures.isEmpty, report.failures.map(\.description).joined(separator: "\n\n"))
        XCTAssertTrue(report.changed.isEmpty, "out of date (run `gptoss-gl translate --write`): \(report.changed)")
        XCTAssertTrue(report.stale.isEmpty, "generated files without a .wgsl source: \(report.stale)")
    }

    func testCheckedInGLSLPassesGlslang() throws {
        let directory = TestPaths.packageRoot.appendingPathComponent("Shaders/glsl")
        for file in try TestPaths.files(in: directory, withExtension: "comp") {
            if let problems = try GLSLangValidator.problems(inFile: file.path) {
                XCTFail("glslangValidator rejects \(file.lastPathComponent):\n\(problems)")
            }
        }
    }

    func testSynchronizeReportsChangedAndStaleFiles() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("wgsl-sync-\(UUID().uuidString)")
        let wgsl = root.appendingPathComponent("wgsl")
        let glsl = root.appendingPathComponent("glsl")
        try FileManager.default.createDirectory(at: wgsl, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: glsl, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        try "@compute @workgroup_size(1) fn main() {}\n".write(to: wgsl.appendingPathComponent("k.wgsl"), atomically: true, encoding: .utf8)
        try "old".write(to: glsl.appendingPathComponent("gone.comp"), atomically: true, encoding: .utf8)

        let before = try ShaderDirectory.synchronize(wgslDirectory: wgsl, glslDirectory: glsl, write: false)
        XCTAssertEqual(before.changed.map { URL(fileURLWithPath: $0).lastPathComponent }, ["k.comp", "k.json"])
        XCTAssertEqual(before.stale.map { URL(fileURLWithPath: $0).lastPathComponent }, ["gone.comp"])

        _ = try ShaderDirectory.synchronize(wgslDirectory: wgsl, glslDirectory: glsl, write: true)
        let after = try ShaderDirectory.synchronize(wgslDirectory: wgsl, glslDirectory: glsl, write: false)
        XCTAssertTrue(after.isClean)
        XCTAssertFalse(FileManager.default.fileExists(atPath: glsl.appendingPathComponent("gone.comp").path))
    }
}
