// Keeps Shaders/glsl in step with Shaders/wgsl: every `<name>.wgsl` becomes `<name>.comp` (the
// GLSL) and `<name>.json` (its reflection); modules the kernels import (`lib/*.wesl`) are not
// kernels and produce nothing of their own. `check` reports what differs from the files on disk
// and what is stale; `write` makes the disk match. The CLI's `translate --check/--write` and the
// tests both use this, so CI and the developer see the same comparison.
import Foundation

public struct ShaderDirectoryReport: Sendable {
    /// Generated files whose committed content differs (or that are missing), by path.
    public var changed: [String] = []
    /// `.comp` / `.json` files with no `.wgsl` source.
    public var stale: [String] = []
    /// Sources that failed to translate, with their diagnostics.
    public var failures: [WGSLDiagnostic] = []
    /// Number of `.wgsl` files translated.
    public var translated = 0

    public var isClean: Bool { changed.isEmpty && stale.isEmpty && failures.isEmpty }
}

public enum ShaderDirectory {
    /// Translates every WGSL file in `wgslDirectory` and compares with (or, when `write` is true,
    /// writes) the generated files in `glslDirectory`.
    public static func synchronize(wgslDirectory: URL, glslDirectory: URL, write: Bool) throws -> ShaderDirectoryReport {
        let fileManager = FileManager.default
        var report = ShaderDirectoryReport()
        let sources = try fileManager.contentsOfDirectory(atPath: wgslDirectory.path)
            .filter { $0.hasSuffix(".wgsl") }.sorted()
        var expected: Set<String> = []
        // Kernels import their shared helpers from modules below this directory (lib/…).
        let package = WGSLPackage(directory: wgslDirectory, displayRoot: "Shaders/wgsl")
        if write { try fileManager.createDirectory(at: glslDirectory, withIntermediateDirectories: true) }
        for source in sources {
            let stem = String(source.dropLast(".wgsl".count))
            expected.insert("\(stem).comp")
            expected.insert("\(stem).json")
            let bytes = Array(try Data(contentsOf: wgslDirectory.appendingPathComponent(source)))
            let output: TranslationOutput
            do {
                let text = try SourceText.decode(bytes, fileName: "Shaders/wgsl/\(source)")
                output = try WGSLTranslator.translate(source: text, fileName: "Shaders/wgsl/\(source)", package: package)
            } catch let diagnostic as WGSLDiagnostic {
                report.failures.append(diagnostic)
                continue
            }
            report.translated += 1
            let generated = [("\(stem).comp", output.glsl), ("\(stem).json", try reflectionJSON(output.reflection))]
            for (name, content) in generated {
                let url = glslDirectory.appendingPathComponent(name)
                let existing = try? String(contentsOf: url, encoding: .utf8)
                if existing != content {
                    report.changed.append(url.path)
                    if write { try content.write(to: url, atomically: true, encoding: .utf8) }
                }
            }
        }
        let present = (try? fileManager.contentsOfDirectory(atPath: glslDirectory.path)) ?? []
        for name in present.sorted() where (name.hasSuffix(".comp") || name.hasSuffix(".json")) && !expected.contains(name) {
            let url = glslDirectory.appendingPathComponent(name)
            report.stale.append(url.path)
            if write { try fileManager.removeItem(at: url) }
        }
        return report
    }

    /// Reflection as committed: pretty, sorted keys, newline-terminated, so diffs stay small.
    public static func reflectionJSON(_ reflection: ShaderReflection) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(reflection), as: UTF8.self) + "\n"
    }
}
