import Foundation
import XCTest
@testable import WGSL

/// `if` statements decided by overrides become `#if` (GLSLWriter+Preprocessor.swift); everything
/// the preprocessor cannot evaluate exactly stays a runtime `if`.
final class PreprocessorConditionTests: XCTestCase {
    /// A kernel whose `main` body is `body`, with u32 overrides MODE (0) and LEVEL (2) and locals
    /// `r` and `q` (stored at the end).
    /// Whether an `#if` other than the chained-launch ones (GLSLWriter+ChainedLaunch.swift,
    /// in every kernel) is in the output.
    private func overrideConditional(in output: String) -> Bool {
        output.split(separator: "\n").contains { $0.hasPrefix("#if ") && !$0.contains("CHAINED_LAUNCH") }
    }

    private func glsl(_ body: String, declarations: String = "", file: StaticString = #filePath, line: UInt = #line) -> String {
        let source = """
        override MODE: u32 = 0u;
        override LEVEL: u32 = 2u;
        \(declarations)
        @group(0) @binding(0) var<storage, read_write> v: array<u32>;
        @compute @workgroup_size(1) fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
            var r = 0u;
            var q = 0u;
        \(body)
            v[gid.x] = r + q;
        }
        """
        return translateOrFail(source, file: file, line: line)?.glsl ?? ""
    }

    /// The lines of `text` from the first one containing `start`, trimmed, `count` of them.
    private func lines(_ text: String, from start: String, count: Int) -> [String] {
        let all = text.components(separatedBy: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let first = all.firstIndex(where: { $0.contains(start) }) else { return [] }
        return Array(all[first..<min(all.count, first + count)])
    }

    func testOverrideOnlyConditionBecomesPreprocessorConditional() {
        let output = glsl("if (MODE == 1u) { r = 1u; } else { r = 2u; }")
        XCTAssertEqual(lines(output, from: "#if (", count: 5),
                       ["#if (OVERRIDE_MODE == 1)", "r = 1u;", "#else", "r = 2u;", "#endif"], output)
        XCTAssertFalse(output.contains("if (MODE"), output)
    }

    func testConstantsLiteralsAndLogicalOperatorsAreWrittenAsIntegers() {
        let output = glsl("if (!(MODE >= K) && (LEVEL != 3u || FLAG) && -2 < SIGNED) { r = 1u; }",
                          declarations: "const K: u32 = 4u;\nconst FLAG = true;\noverride SIGNED: i32 = -1;")
        XCTAssertTrue(output.contains("#if ((!(OVERRIDE_MODE >= 4) && ((OVERRIDE_LEVEL != 3) || 1)) && ((-2) < OVERRIDE_SIGNED))\n"), output)
    }

    func testConditionsReadingRuntimeValuesStayRuntimeIfs() {
        let output = glsl("if (MODE == 1u && gid.x < 4u) { r = 1u; }")
        XCTAssertTrue(output.contains("if ((MODE == 1u) && (gid.x < 4u)) {"), output)
        XCTAssertFalse(overrideConditional(in: output), output)
    }

    func testConditionsThePreprocessorCannotEvaluateExactlyStayRuntimeIfs() {
        let cases: [(String, String)] = [
            ("override ON: bool = true;", "if (ON) { r = 1u; }"),                        // bool overrides are true/false
            ("override SCALE: f32 = 1.0;", "if (SCALE > 0.5) { r = 1u; }"),                // floats
            ("override AREA: u32 = LEVEL * 2u;", "if (AREA == 4u) { r = 1u; }"),          // default from other overrides
            ("", "if (MODE == 3000000000u) { r = 1u; }"),                                  // beyond the signed range
            ("", "if (MODE + 1u == 2u) { r = 1u; }"),                                      // arithmetic
            ("", "if ((MODE & 1u) == 1u) { r = 1u; }"),                                    // bit operations
        ]
        for (declarations, body) in cases {
            let output = glsl(body, declarations: declarations)
            XCTAssertFalse(overrideConditional(in: output), "\(body): \(output)")
            XCTAssertTrue(output.contains("if ("), "\(body): \(output)")
        }
    }

    func testNestedConditionalsMixBothKinds() {
        let output = glsl("""
        if (MODE == 1u) {
            if (LEVEL > 1u) { r = 1u; }
            if (gid.x == 0u) {
                if (LEVEL == 0u) { q = 2u; }
            }
        }
        """)
        XCTAssertEqual(lines(output, from: "#if (OVERRIDE_MODE", count: 10), [
            "#if (OVERRIDE_MODE == 1)",
            "#if (OVERRIDE_LEVEL > 1)",
            "r = 1u;",
            "#endif",
            "if (gid.x == 0u) {",
            "#if (OVERRIDE_LEVEL == 0)",
            "q = 2u;",
            "#endif",
            "}",
            "#endif",
        ], output)
    }

    func testElseIfChainsBecomeElifWhileTheyStayOverrideOnly() {
        let overrideChain = glsl("""
        if (MODE == 0u) { r = 10u; } else if (MODE == 1u) { r = 11u; } else if (LEVEL < 2u) { r = 12u; } else { r = 13u; }
        """)
        XCTAssertEqual(lines(overrideChain, from: "#if (", count: 9), [
            "#if (OVERRIDE_MODE == 0)", "r = 10u;",
            "#elif (OVERRIDE_MODE == 1)", "r = 11u;",
            "#elif (OVERRIDE_LEVEL < 2)", "r = 12u;",
            "#else", "r = 13u;",
            "#endif",
        ], overrideChain)

        // An override branch followed by a runtime one: the runtime `if` goes under #else.
        let overrideThenRuntime = glsl("if (MODE == 0u) { r = 10u; } else if (gid.x == 3u) { r = 11u; } else { r = 12u; }")
        XCTAssertEqual(lines(overrideThenRuntime, from: "#if (", count: 9), [
            "#if (OVERRIDE_MODE == 0)", "r = 10u;", "#else",
            "if (gid.x == 3u) {", "r = 11u;", "} else {", "r = 12u;", "}", "#endif",
        ], overrideThenRuntime)

        // A runtime branch followed by an override one: no `else if`, an #if inside `else`.
        let runtimeThenOverride = glsl("if (gid.x == 3u) { r = 10u; } else if (MODE == 1u) { r = 11u; } else { r = 12u; }")
        XCTAssertEqual(lines(runtimeThenOverride, from: "if (gid.x", count: 8), [
            "if (gid.x == 3u) {", "r = 10u;", "} else {",
            "#if (OVERRIDE_MODE == 1)", "r = 11u;", "#else", "r = 12u;", "#endif",
        ], runtimeThenOverride)
    }

    /// The lowered kernel passes glslangValidator for the default and for other values defined
    /// the host's way, and subgroup code behind the condition needs only `enable`.
    func testSpecialisationsOfAGuardedSubgroupKernelValidate() throws {
        let output = try XCTUnwrap(translateOrFail("""
        enable subgroups;
        override SUBGROUPS: u32 = 0u;
        @group(0) @binding(0) var<storage, read_write> v: array<f32>;
        @compute @workgroup_size(32) fn main(@builtin(local_invocation_index) i: u32) {
            var total = v[i];
            if (SUBGROUPS == 1u) {
                total = subgroupAdd(total);
            } else {
                total = total * 2.0;
            }
            v[i] = total;
        }
        """))
        XCTAssertTrue(output.glsl.contains("#extension GL_KHR_shader_subgroup_arithmetic : enable\n"), output.glsl)
        XCTAssertTrue(output.glsl.contains("#extension GL_KHR_shader_subgroup_basic : enable\n"), output.glsl)
        XCTAssertFalse(output.glsl.contains(": require"), output.glsl)
        XCTAssertTrue(output.glsl.contains("#if (OVERRIDE_SUBGROUPS == 1)\n"), output.glsl)
        for value in [nil, "0", "1"] {
            var glsl = output.glsl
            if let value {
                glsl = glsl.replacingOccurrences(of: "precision highp float;", with: "#define OVERRIDE_SUBGROUPS \(value)\nprecision highp float;")
            }
            if let problems = try GLSLangValidator.problems(inSource: glsl, name: "guarded-\(value ?? "default")") {
                XCTFail("SUBGROUPS = \(value ?? "default"):\n\(problems)\n\(glsl)")
            }
        }
    }
}
