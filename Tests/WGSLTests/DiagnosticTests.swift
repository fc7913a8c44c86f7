import Foundation
import XCTest
@testable import WGSL

/// Golden diagnostics: each `diagnostics/<case>.wgsl` must fail with exactly the message, source
/// line and caret in `<case>.txt`. Like the snapshots, a mismatch rewrites the `.txt` and fails,
/// so the diff is the review.
final class DiagnosticTests: XCTestCase {
    func testDiagnosticsMatchGoldenFiles() throws {
        let cases = try TestPaths.files(in: TestPaths.diagnostics, withExtension: "wgsl")
        XCTAssertGreaterThanOrEqual(cases.count, 20)
        for source in cases {
            let stem = source.deletingPathExtension().lastPathComponent
            let text = try String(contentsOf: source, encoding: .utf8)
            // Import cases find their modules in diagnostics/lib.
            let package = WGSLPackage(directory: TestPaths.diagnostics, displayRoot: "")
            guard let rendered = diagnostic(for: text, fileName: source.lastPathComponent, package: package) else {
                XCTFail("diagnostics/\(stem).wgsl translated without error")
                continue
            }
            let golden = TestPaths.diagnostics.appendingPathComponent("\(stem).txt")
            let expected = try? String(contentsOf: golden, encoding: .utf8)
            let actual = rendered + "\n"
            if expected != actual {
                try actual.write(to: golden, atomically: true, encoding: .utf8)
                XCTFail("diagnostics/\(stem).txt changed: review the diff and commit it if right\n\(actual)")
            }
        }
    }

    func testDiagnosticRendersLineColumnAndCaret() {
        let source = "fn f() {\n  let x = 1u + 1.5;\n}\n@compute @workgroup_size(1) fn main() {}\n"
        let message = diagnostic(for: source, fileName: "k.wgsl")
        XCTAssertEqual(message, """
        k.wgsl:2:11: error: cannot add u32 and abstract-float: convert the integer side, e.g. f32(x)
          let x = 1u + 1.5;
                  ^~~~~~~~
        """)
    }

    func testDiagnosticCountsColumnsInCharacters() throws {
        let source = "// é\n@compute @workgroup_size(1) fn main() { let é = nope; }\n"
        let message = try XCTUnwrap(diagnostic(for: source, fileName: "u.wgsl"))
        XCTAssertTrue(message.hasPrefix("u.wgsl:2:49: error: unknown identifier 'nope'"), message)
    }
}
