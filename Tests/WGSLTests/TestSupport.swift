import Foundation
import XCTest
@testable import WGSL

/// Paths inside the package, found from this file's location so tests run from any directory.
enum TestPaths {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let packageRoot = testsDirectory.deletingLastPathComponent().deletingLastPathComponent()
    static let snapshotInputs = testsDirectory.appendingPathComponent("in")
    static let snapshotOutputs = testsDirectory.appendingPathComponent("out")
    static let diagnostics = testsDirectory.appendingPathComponent("diagnostics")

    static func files(in directory: URL, withExtension ext: String) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".\(ext)") }.sorted()
            .map { directory.appendingPathComponent($0) }
    }
}

/// `glsl` with `#define NAME VALUE` lines after its #version/#extension lines, the way the host
/// specialises a kernel (ShaderSource.specialised: overrides as OVERRIDE_<name>, other macros
/// as given).
func withDefines(_ glsl: String, _ defines: [String: String]) -> String {
    var lines = glsl.components(separatedBy: "\n")
    let at = (lines.lastIndex { $0.hasPrefix("#version") || $0.hasPrefix("#extension") } ?? 0) + 1
    lines.insert(contentsOf: defines.keys.sorted().map { "#define \($0) \(defines[$0]!)" }, at: at)
    return lines.joined(separator: "\n")
}

/// Runs `glslangValidator -S comp` on a file; returns nil when valid, else the validator's report.
enum GLSLangValidator {
    static var executable: String? {
        let candidates = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":").map { "\($0)/glslangValidator" }
        return (candidates + ["/usr/bin/glslangValidator"]).first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func problems(inFile path: String) throws -> String? {
        guard let tool = executable else {
            return "glslangValidator is not installed: apt-get install glslang-tools (make deps does this)"
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = ["-S", "comp", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? nil : String(decoding: data, as: UTF8.self)
    }

    /// Validates GLSL text by writing it to a temporary `.comp` file.
    static func problems(inSource glsl: String, name: String) throws -> String? {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("wgsl-test-\(ProcessInfo.processInfo.processIdentifier)-\(name).comp")
        try glsl.write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        return try problems(inFile: url.path)
    }
}

/// Translates WGSL that is expected to be valid, failing the test with the diagnostic otherwise.
func translateOrFail(_ source: String, file: StaticString = #filePath, line: UInt = #line) -> TranslationOutput? {
    do {
        return try WGSLTranslator.translate(source: source, fileName: "test.wgsl")
    } catch {
        XCTFail("translation failed:\n\(error.localizedDescription)", file: file, line: line)
        return nil
    }
}

/// The diagnostic text a source produces, or nil when it translates.
func diagnostic(for source: String, fileName: String = "test.wgsl", package: WGSLPackage? = nil) -> String? {
    do {
        _ = try WGSLTranslator.translate(source: source, fileName: fileName, package: package)
        return nil
    } catch {
        return error.localizedDescription
    }
}

/// "line N: 'old' → 'new'" for the first line where two texts differ.
func firstDifference(_ old: String, _ new: String) -> String {
    let a = old.components(separatedBy: "\n"), b = new.components(separatedBy: "\n")
    for i in 0..<max(a.count, b.count) {
        let x = i < a.count ? a[i] : "<end>", y = i < b.count ? b[i] : "<end>"
        if x != y { return "line \(i + 1): '\(x)' → '\(y)'" }
    }
    return "identical lines"
}
