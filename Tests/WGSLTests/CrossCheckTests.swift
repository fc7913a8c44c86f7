import Foundation
import XCTest

/// Runs scripts/wgpu_crosscheck.py: every kernel must be valid WebGPU and compute the same
/// outputs through wgpu as through our GLSL. Skipped (with the reason) where Python's `wgpu`
/// package is missing, since it is a PyPI install rather than a system package.
final class CrossCheckTests: XCTestCase {
    func testKernelsAgreeWithWebGPU() throws {
        let probe = try runPython(["-c", "import wgpu"])
        guard probe.status == 0 else {
            throw XCTSkip("python3 with the `wgpu` package is not available (pip install wgpu): \(probe.output.suffix(200))")
        }
        let script = TestPaths.packageRoot.appendingPathComponent("scripts/wgpu_crosscheck.py").path
        let result = try runPython([script])
        XCTAssertEqual(result.status, 0, "wgpu cross-check failed:\n\(result.output)")
    }

    private func runPython(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        var environment = ProcessInfo.processInfo.environment
        if environment["XDG_RUNTIME_DIR"] == nil {
            let runtime = FileManager.default.temporaryDirectory.appendingPathComponent("xdg-wgsl-tests")
            try FileManager.default.createDirectory(at: runtime, withIntermediateDirectories: true)
            environment["XDG_RUNTIME_DIR"] = runtime.path
        }
        process.environment = environment
        process.currentDirectoryURL = TestPaths.packageRoot
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
