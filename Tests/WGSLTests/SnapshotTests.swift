import Foundation
import XCTest
@testable import WGSL

/// Every `in/<case>.wgsl` is translated to `out/<case>.comp` and `out/<case>.json`. The test
/// always rewrites the outputs and fails when they changed, so `git diff Tests/WGSLTests/out`
/// is the review of a translator change; every output must also pass glslangValidator.
final class SnapshotTests: XCTestCase {
    func testSnapshotsMatchCommittedOutputs() throws {
        let inputs = try TestPaths.files(in: TestPaths.snapshotInputs, withExtension: "wgsl")
        XCTAssertFalse(inputs.isEmpty, "no snapshot inputs found in \(TestPaths.snapshotInputs.path)")
        try FileManager.default.createDirectory(at: TestPaths.snapshotOutputs, withIntermediateDirectories: true)
        // Snapshot inputs that import find their modules in in/lib.
        let package = WGSLPackage(directory: TestPaths.snapshotInputs, displayRoot: "in")
        for input in inputs {
            let stem = input.deletingPathExtension().lastPathComponent
            let source = try String(contentsOf: input, encoding: .utf8)
            let output: TranslationOutput
            do {
                output = try WGSLTranslator.translate(source: source, fileName: "in/\(input.lastPathComponent)", package: package)
            } catch {
                XCTFail("\(stem): \(error.localizedDescription)")
                continue
            }
            var generated = [("comp", output.glsl), ("json", try ShaderDirectory.reflectionJSON(output.reflection))]
            if source.contains("\nimport ") || source.hasPrefix("import ") {
                // What the imports expand to is reviewed too.
                generated.append(("flat.wgsl", try WGSLTranslator.flatten(source: source, fileName: "in/\(input.lastPathComponent)", package: package)))
            }
            for (ext, content) in generated {
                let url = TestPaths.snapshotOutputs.appendingPathComponent("\(stem).\(ext)")
                let previous = try? String(contentsOf: url, encoding: .utf8)
                try content.write(to: url, atomically: true, encoding: .utf8)
                if previous != content {
                    XCTFail("out/\(stem).\(ext) changed (\(firstDifference(previous ?? "", content))): review `git diff Tests/WGSLTests/out` and commit it if right")
                }
            }
            let compPath = TestPaths.snapshotOutputs.appendingPathComponent("\(stem).comp").path
            if let problems = try GLSLangValidator.problems(inFile: compPath) {
                XCTFail("glslangValidator rejects out/\(stem).comp:\n\(problems)")
            }
        }
    }

    /// No output without an input: a deleted case must take its snapshots with it.
    func testNoOrphanedSnapshots() throws {
        let inputs = Set(try TestPaths.files(in: TestPaths.snapshotInputs, withExtension: "wgsl").map { $0.deletingPathExtension().lastPathComponent })
        for ext in ["comp", "json", "flat.wgsl"] {
            for output in try TestPaths.files(in: TestPaths.snapshotOutputs, withExtension: ext) {
                let stem = String(output.lastPathComponent.dropLast(ext.count + 1))
                XCTAssertTrue(inputs.contains(stem), "\(output.lastPathComponent) has no in/ source: delete it")
            }
        }
    }
}
