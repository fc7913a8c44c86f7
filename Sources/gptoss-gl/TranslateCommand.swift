import ArgumentParser
import Foundation
import WGSL

/// `gptoss-gl translate`: WGSL → GLSL ES 3.10, one file to stdout, or the whole Shaders tree.
struct TranslateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "translate",
        abstract: "Translate WGSL compute kernels to GLSL ES 3.10 (and keep Shaders/glsl in step).",
        discussion: """
        gptoss-gl translate kernel.wgsl                 print the GLSL
        gptoss-gl translate kernel.wgsl -o kernel.comp --reflection kernel.json --override WG=128
        gptoss-gl translate --check                     fail if Shaders/glsl differs from Shaders/wgsl
        gptoss-gl translate --write                     regenerate Shaders/glsl
        gptoss-gl translate --flatten kernel.wgsl       print the WGSL with its imports resolved
        """
    )

    @Argument(help: "A WGSL file to translate.")
    var file: String?

    @Option(name: .shortAndLong, help: "Write the GLSL here instead of stdout.")
    var output: String?

    @Option(name: .customLong("override"), help: "NAME=VALUE: the value of a WGSL override (repeatable).")
    var overrides: [String] = []

    @Option(help: "Write the reflection (bindings, layouts, workgroup size, overrides) as JSON here.")
    var reflection: String?

    @Flag(help: "Regenerate Shaders/glsl from Shaders/wgsl in memory and fail on any difference.")
    var check = false

    @Flag(help: "Regenerate Shaders/glsl from Shaders/wgsl on disk.")
    var write = false

    @Flag(help: "Print the file's WGSL with its imports resolved (plain WGSL, as translated) instead of GLSL.")
    var flatten = false

    @Option(help: "The repository root holding Shaders/ (default: the current directory).")
    var root: String?

    func validate() throws {
        if check && write { throw ValidationError("--check and --write exclude each other") }
        if (check || write) && file != nil { throw ValidationError("--check/--write work on Shaders/wgsl; drop the file argument") }
        if flatten && (check || write || file == nil) { throw ValidationError("--flatten takes one .wgsl file") }
        if flatten && (output != nil || reflection != nil || !overrides.isEmpty) {
            throw ValidationError("--flatten prints WGSL: -o, --reflection and --override apply to translation")
        }
        if !(check || write) && file == nil { throw ValidationError("give a .wgsl file, or --check / --write") }
        if (check || write) && (output != nil || reflection != nil || !overrides.isEmpty) {
            throw ValidationError("-o, --reflection and --override apply to a single file")
        }
    }

    func run() throws {
        if check || write { return try synchronize() }
        var values: [String: Double] = [:]
        for item in overrides {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw ValidationError("--override expects NAME=VALUE, got '\(item)'")
            }
            let text = parts[1].trimmingCharacters(in: .whitespaces)
            let value: Double
            switch text {
            case "true": value = 1
            case "false": value = 0
            default:
                guard let number = Double(text) else { throw ValidationError("--override \(parts[0]): '\(text)' is not a number") }
                value = number
            }
            values[parts[0]] = value
        }
        guard let path = file else { return }
        let bytes: Data
        do {
            bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            FileHandle.standardError.write(Data("error: cannot read \(path): \(error.localizedDescription)\n".utf8))
            throw ExitCode(1)
        }
        // Imports find their modules below the kernel's own directory (docs/wgsl.md, "Imports").
        let directory = (path as NSString).deletingLastPathComponent
        let package = WGSLPackage(directory: URL(fileURLWithPath: directory.isEmpty ? "." : directory), displayRoot: directory)
        let result: TranslationOutput
        do {
            let source = try SourceText.decode(Array(bytes), fileName: path)
            if flatten {
                print(try WGSLTranslator.flatten(source: source, fileName: path, package: package), terminator: "")
                return
            }
            result = try WGSLTranslator.translate(source: source, fileName: path, overrides: values, package: package)
        } catch let diagnostic as WGSLDiagnostic {
            FileHandle.standardError.write(Data((diagnostic.description + "\n").utf8))
            throw ExitCode(1)
        }
        if let outputPath = output {
            try result.glsl.write(toFile: outputPath, atomically: true, encoding: .utf8)
        } else {
            print(result.glsl, terminator: "")
        }
        if let reflectionPath = reflection {
            try ShaderDirectory.reflectionJSON(result.reflection).write(toFile: reflectionPath, atomically: true, encoding: .utf8)
        }
    }

    private func synchronize() throws {
        let base = URL(fileURLWithPath: root ?? FileManager.default.currentDirectoryPath)
        let wgsl = base.appendingPathComponent("Shaders/wgsl")
        let glsl = base.appendingPathComponent("Shaders/glsl")
        guard FileManager.default.fileExists(atPath: wgsl.path) else {
            FileHandle.standardError.write(Data("error: \(wgsl.path) does not exist; run from the repository root or pass --root\n".utf8))
            throw ExitCode(1)
        }
        let report = try ShaderDirectory.synchronize(wgslDirectory: wgsl, glslDirectory: glsl, write: write)
        for failure in report.failures {
            FileHandle.standardError.write(Data((failure.description + "\n").utf8))
        }
        if write {
            for path in report.changed { print("wrote \(path)") }
            for path in report.stale { print("removed \(path)") }
            print("\(report.translated) kernel(s) translated")
            if !report.failures.isEmpty { throw ExitCode(1) }
            return
        }
        for path in report.changed { FileHandle.standardError.write(Data("out of date: \(path)\n".utf8)) }
        for path in report.stale { FileHandle.standardError.write(Data("stale (no .wgsl source): \(path)\n".utf8)) }
        if !report.isClean {
            FileHandle.standardError.write(Data("error: Shaders/glsl does not match Shaders/wgsl; run `gptoss-gl translate --write` and commit the result\n".utf8))
            throw ExitCode(1)
        }
        print("Shaders/glsl is up to date (\(report.translated) kernel(s))")
    }
}
