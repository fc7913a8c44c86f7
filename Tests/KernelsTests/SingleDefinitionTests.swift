import Foundation
import XCTest
@testable import Kernels

/// Helpers shared by several kernels live once, in a module under Shaders/wgsl/lib that the
/// kernels import (docs/wgsl.md, "Imports"); a copy pasted back into a kernel would drift from
/// the module unseen. This fails on any function or struct written out in two files of
/// Shaders/wgsl (modules included), comments and white space aside. Declarations that share a
/// name but not a body (each kernel's `main` and `Params`, the tiled and per-row `q8x4`) are
/// different code and pass.
final class SingleDefinitionTests: XCTestCase {
    func testNoFunctionOrStructIsWrittenTwice() throws {
        let wgsl = try ShaderLibrary.located().directory.deletingLastPathComponent().appendingPathComponent("wgsl")
        let files = try sourceFiles(under: wgsl)
        XCTAssertGreaterThanOrEqual(files.count, 20, "the kernels were found")
        XCTAssertTrue(files.contains { $0.hasPrefix("lib/") }, "the shared modules were found")
        var seen: [String: (file: String, name: String)] = [:]
        var declarations = 0
        for file in files {
            let source = try String(contentsOf: wgsl.appendingPathComponent(file), encoding: .utf8)
            for (name, text) in Self.declarations(in: source) {
                declarations += 1
                if let first = seen[text] {
                    XCTFail("\(file): \(name) repeats \(first.name) of \(first.file); import it from one module instead")
                } else {
                    seen[text] = (file, name)
                }
            }
        }
        XCTAssertGreaterThan(declarations, 60, "declarations were read")
    }

    /// The check itself: a copy is caught even when its comments and indentation differ.
    func testACopyWithOtherCommentsIsFound() {
        let a = "// one\nfn f(x: u32) -> u32 {\n    return x + 1u;\n}\n"
        let b = "fn f(x: u32) -> u32 {\n  // two\n  return x + 1u;   \n}\n"
        let c = "fn f(x: u32) -> u32 {\n    return x + 2u;\n}\n"
        XCTAssertEqual(Self.declarations(in: a).map(\.text), Self.declarations(in: b).map(\.text))
        XCTAssertNotEqual(Self.declarations(in: a).map(\.text), Self.declarations(in: c).map(\.text))
    }

    /// `.wgsl` kernels and `.wesl` modules below `root`, as paths relative to it, sorted.
    private func sourceFiles(under root: URL) throws -> [String] {
        let enumerator = try XCTUnwrap(FileManager.default.enumerator(atPath: root.path))
        return enumerator.compactMap { $0 as? String }.filter { $0.hasSuffix(".wgsl") || $0.hasSuffix(".wesl") }.sorted()
    }

    /// Module-scope `fn` and `struct` declarations (a line starting with the keyword, to the
    /// next line that is a lone `}`), each as its name and its text without comments, with
    /// runs of white space folded to one space.
    static func declarations(in source: String) -> [(name: String, text: String)] {
        var result: [(name: String, text: String)] = []
        var current: [String]?
        var name = ""
        for line in source.split(separator: "\n", omittingEmptySubsequences: false) {
            let code = String(line).components(separatedBy: "//")[0]
            if current == nil, line.hasPrefix("fn ") || line.hasPrefix("struct ") {
                current = []
                name = String(line.split(separator: "(")[0].split(separator: " {")[0])
            }
            guard current != nil else { continue }
            current!.append(code)
            if line == "}" {
                let folded = current!.joined(separator: " ").split(whereSeparator: \.isWhitespace).joined(separator: " ")
                result.append((name, folded))
                current = nil
            }
        }
        return result
    }
}
