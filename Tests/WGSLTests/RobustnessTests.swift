import Foundation
import XCTest
@testable import WGSL

/// Hostile input gets a diagnostic, never a crash or a long stall: nesting past the limits of
/// `Nesting` (which once overflowed the stack), megabyte identifiers (once 13 s in the "did you
/// mean" search), bytes that are not WGSL, text that is not UTF-8, and truncated or corrupted
/// kernels.
final class RobustnessTests: XCTestCase {
    private let entry = "@compute @workgroup_size(1) fn main() "

    func testTenThousandNestedBracesIsADiagnostic() throws {
        let source = entry + String(repeating: "{", count: 10_000) + String(repeating: "}", count: 10_000) + "\n"
        try assertDiagnostic(source, contains: "blocks nested more than \(Nesting.maxBlockDepth) deep", column: 39 + Nesting.maxBlockDepth)
    }

    func testTenThousandNestedParenthesesIsADiagnostic() throws {
        let source = entry + "{ let x = " + String(repeating: "(", count: 10_000) + "1" + String(repeating: ")", count: 10_000) + "; }\n"
        try assertDiagnostic(source, contains: "expression nested more than \(Nesting.maxExpressionDepth) levels deep")
    }

    /// Trees that grow without the parser recursing: operator chains, prefix operators, postfix
    /// indexing, `else if` chains and template lists.
    func testOtherDeepShapesAreDiagnostics() throws {
        let n = 10_000
        try assertDiagnostic(entry + "{ let x = 1" + String(repeating: " + 1", count: n) + "; }\n", contains: "levels deep")
        try assertDiagnostic(entry + "{ let x = " + String(repeating: "- ", count: n) + "1; }\n", contains: "levels deep")
        try assertDiagnostic("@group(0) @binding(0) var<storage, read_write> b: array<u32>;\n" + entry
                             + "{ let x = b[0]" + String(repeating: "[0]", count: n) + "; }\n", contains: "levels deep")
        try assertDiagnostic(entry + "{ var a = 0; if (a == 0) {}" + String(repeating: " else if (a == 1) {}", count: n) + " }\n",
                             contains: "blocks nested more than")
        try assertDiagnostic("@group(0) @binding(0) var<storage, read_write> b: " + String(repeating: "array<", count: n) + "u32"
                             + String(repeating: ">", count: n) + ";\n" + entry + "{}\n", contains: "levels deep")
    }

    /// Declarations resolved inside one another on first use: a chain of calls or constants, and
    /// deep expressions in a chain of shorter calls, both stop at a limit.
    func testDeepDeclarationChainsAreDiagnostics() throws {
        let n = 10_000
        let calls = (0..<n).map { "fn g\($0)() -> i32 { return g\($0 + 1)(); }\n" }.joined() + "fn g\(n)() -> i32 { return 1; }\n"
        try assertDiagnostic(calls + entry + "{ let x = g0(); }\n", contains: "declarations depend on one another more than \(Nesting.maxDeclarationDepth) deep")
        let constants = (0..<n).map { "const c\($0) = c\($0 + 1);\n" }.joined() + "const c\(n) = 1;\n"
        try assertDiagnostic(constants + entry + "{ let x = c0; }\n", contains: "declarations depend on one another")
        let deep = (0..<60).map { "fn g\($0)() -> i32 { " + String(repeating: "{", count: 120) + " let y = "
            + String(repeating: "(", count: 250) + "g\($0 + 1)()" + String(repeating: ")", count: 250) + "; "
            + String(repeating: "}", count: 120) + " return 1; }\n" }.joined() + "fn g60() -> i32 { return 1; }\n"
        try assertDiagnostic(deep + entry + "{ let x = g0(); }\n", contains: "code nested more than \(Nesting.maxResolverDepth) levels deep")
    }

    /// Up to the limits everything still translates (the limits stop input, not real kernels).
    func testNestingJustInsideTheLimitsTranslates() throws {
        let blocks = Nesting.maxBlockDepth - 1
        let source = "override O: u32 = 1u;\n@group(0) @binding(0) var<storage, read_write> b: array<u32>;\n" + entry
            + "{ var a = b[0]; " + String(repeating: "if (O == 1u) { ", count: blocks)
            + "b[0] = " + String(repeating: "(", count: Nesting.maxExpressionDepth - 10) + "a + 1u"
            + String(repeating: ")", count: Nesting.maxExpressionDepth - 10) + "; " + String(repeating: "}", count: blocks) + " }\n"
        let output = try WGSLTranslator.translate(source: source, fileName: "deep.wgsl")
        XCTAssertEqual(output.glsl.components(separatedBy: "#if (OVERRIDE_O == 1)").count, blocks + 1)
    }

    func testAMegabyteUnknownIdentifierIsNamedShortenedWithoutASuggestion() throws {
        let name = String(repeating: "a", count: 1_000_000)
        let message = try XCTUnwrap(diagnostic(for: entry + "{ let x = \(name); }\n", fileName: "long.wgsl"))
        let header = try XCTUnwrap(message.split(separator: "\n").first)
        XCTAssertEqual(String(header), "long.wgsl:1:49: error: unknown identifier '\(String(repeating: "a", count: NameSuggestion.maxShownLength))… (1000000 characters)'")
        XCTAssertLessThan(message.count, 600, "the source line is shown as a window, not a megabyte")
        var cells = 0
        XCTAssertNil(NameSuggestion.closest(to: name, among: ["a", "aa", name], cells: &cells))
        XCTAssertEqual(cells, 0, "no edit distance is computed for a name over \(NameSuggestion.maxSuggestedLength) characters")
    }

    func testEditDistanceWorkIsBoundedByTheBand() throws {
        let a = Array(String(repeating: "ab", count: 32)), b = Array(String(repeating: "cd", count: 32))
        var cells = 0
        let limit = 3
        XCTAssertNil(NameSuggestion.distance(a, b, limit: limit, cells: &cells))
        XCTAssertLessThanOrEqual(cells, a.count * (2 * limit + 1), "only the diagonal band is computed")
        cells = 0
        XCTAssertNil(NameSuggestion.distance(a, Array("x"), limit: limit, cells: &cells))
        XCTAssertEqual(cells, 0, "lengths further apart than the limit are rejected before any work")
        XCTAssertEqual(NameSuggestion.distance(Array("kitten"), Array("sitting"), limit: 3, cells: &cells), 3)
        XCTAssertNil(NameSuggestion.distance(Array("kitten"), Array("sitting"), limit: 2, cells: &cells))
        XCTAssertEqual(NameSuggestion.distance(Array("flaw"), Array("lawn"), limit: 2, cells: &cells), 2)
        // Suggestions still work for ordinary names.
        let message = try XCTUnwrap(diagnostic(for: entry + "{ let value = 1; let y = valu; }\n"))
        XCTAssertTrue(message.contains("unknown identifier 'valu': did you mean 'value'?"), message)
    }

    func testInvalidUTF8IsADiagnosticAtTheBadByte() throws {
        var bytes = Array("@compute @workgroup_size(1)\nfn main() {\n    let x = 1u; ".utf8)
        bytes += [0xFF, 0xFE]
        bytes += Array(" }\n".utf8)
        do {
            _ = try SourceText.decode(bytes, fileName: "bad.wgsl")
            XCTFail("invalid UTF-8 was accepted")
        } catch let diagnostic as WGSLDiagnostic {
            XCTAssertEqual(diagnostic.line, 3)
            XCTAssertEqual(diagnostic.column, 17)
            XCTAssertTrue(diagnostic.message.hasPrefix("invalid UTF-8 (byte 0xFF)"), diagnostic.message)
        }
        // Overlong encodings, surrogates and truncated sequences are ill-formed too.
        for bad: [UInt8] in [[0xC0, 0x80], [0xED, 0xA0, 0x80], [0x61, 0xE2, 0x82], [0xF4, 0x90, 0x80, 0x80]] {
            XCTAssertNotNil(SourceText.firstInvalidOffset(bad), "\(bad)")
        }
        XCTAssertNil(SourceText.firstInvalidOffset(Array("é ✓ 𝄞".utf8)))
        XCTAssertEqual(try SourceText.decode(Array("é".utf8), fileName: "ok.wgsl"), "é")
    }

    func testShaderDirectoryReportsANonUTF8KernelInsteadOfThrowing() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("wgsl-utf8-\(ProcessInfo.processInfo.processIdentifier)")
        let wgsl = root.appendingPathComponent("wgsl"), glsl = root.appendingPathComponent("glsl")
        try FileManager.default.createDirectory(at: wgsl, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        try Data([0x2F, 0x2F, 0x20, 0xC3, 0x28, 0x0A]).write(to: wgsl.appendingPathComponent("k.wgsl"))
        let report = try ShaderDirectory.synchronize(wgslDirectory: wgsl, glslDirectory: glsl, write: false)
        XCTAssertEqual(report.failures.count, 1)
        XCTAssertTrue(report.failures.first?.description.hasPrefix("Shaders/wgsl/k.wgsl:1:4: error: invalid UTF-8 (byte 0xC3)") ?? false,
                      report.failures.first?.description ?? "")
    }

    /// Short malformed inputs found by reading the lexer and parser: each is one diagnostic.
    func testMalformedInputsAreDiagnostics() throws {
        let cases: [(String, String)] = [
            ("/* never closed", "unterminated block comment"),
            ("/* /* nested */ still open", "unterminated block comment"),
            ("fn main() { let x = 1u;\u{1} }", "unexpected character U+0001"),
            ("fn main() { let x = 1u;\u{0} }", "unexpected character U+0000"),
            ("fn main() { let s = \"text\"; }", "unexpected character '\"' (U+0022)"),
            ("fn main() { let x = 1u; } \u{200B}", "expected a declaration"),
            ("fn", "expected a function name, found end of file"),
            ("@", "expected an attribute name after '@', found end of file"),
            ("var<storage", "to close the address space, found end of file"),
            ("struct S { a: f32", "found end of file"),
            ("fn f() -> array<f32, 4 { }", "to close the template list"),
            ("import", "an import path starts with 'package::'"),
            ("import package::", "expected a module or item name in the import path, found end of file"),
            ("import package: :lib::a::b;", "expected '::' after 'package'"),
            ("import package::lib::{a::b", "expected ',' or '}' in the import collection"),
            ("import package::only;", "names no module"),
            ("let x = 1;", "'let' is only allowed inside functions"),
            ("fn f() { let x = 0x; }", "hexadecimal literal has no digits"),
            ("}", "expected a declaration"),
        ]
        for (source, expected) in cases {
            try assertDiagnostic(source, contains: expected, package: WGSLPackage(files: [:]))
        }
    }

    /// A real kernel truncated at many points, and with bytes replaced (fixed seed): every
    /// variant either translates or gives one diagnostic inside the source.
    func testTruncatedAndCorruptedKernelsNeverCrash() throws {
        let url = TestPaths.packageRoot.appendingPathComponent("Shaders/wgsl/f32_rmsnorm.wgsl")
        let original = Array(try String(contentsOf: url, encoding: .utf8).utf8)
        var variants: [[UInt8]] = stride(from: 0, to: original.count, by: 37).map { Array(original[..<$0]) }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let alphabet = Array("{}()[]<>;:,.@=+-*/&|!~^%0123456789xu fnletvar\n\"'".utf8)
        for _ in 0..<150 {
            var bytes = original
            for _ in 0..<3 {
                bytes[Int(next() % UInt64(bytes.count))] = alphabet[Int(next() % UInt64(alphabet.count))]
            }
            variants.append(bytes)
        }
        var diagnostics = 0
        for bytes in variants {
            do {
                let text = try SourceText.decode(bytes, fileName: "k.wgsl")
                _ = try WGSLTranslator.translate(source: text, fileName: "k.wgsl")
            } catch let diagnostic as WGSLDiagnostic {
                diagnostics += 1
                XCTAssertGreaterThanOrEqual(diagnostic.line, 1)
                XCTAssertLessThanOrEqual(diagnostic.line, bytes.filter { $0 == 0x0A }.count + 1)
            }
        }
        XCTAssertGreaterThan(diagnostics, variants.count / 2, "most variants are broken")
    }

    private func assertDiagnostic(_ source: String, contains expected: String, column: Int? = nil,
                                  package: WGSLPackage? = nil, file: StaticString = #filePath, line: UInt = #line) throws {
        do {
            _ = try WGSLTranslator.translate(source: source, fileName: "k.wgsl", package: package)
            XCTFail("translated without error: \(source.prefix(80))", file: file, line: line)
        } catch let diagnostic as WGSLDiagnostic {
            XCTAssertTrue(diagnostic.message.contains(expected), "\(diagnostic.message) lacks '\(expected)'", file: file, line: line)
            if let column { XCTAssertEqual(diagnostic.column, column, file: file, line: line) }
            XCTAssertLessThan(diagnostic.description.count, 1_000, "messages stay readable", file: file, line: line)
        }
    }
}
