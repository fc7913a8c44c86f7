import XCTest
@testable import WGSL

/// Lexer, parser and resolver details that snapshots would only show indirectly.
final class FrontEndTests: XCTestCase {
    func testLexerReadsLiteralFormsAndNestedComments() throws {
        let tokens = try Lexer.tokenize(Array("0x1Fu 12i 1.5e-3 .5 3f 2h 0x1p4 /* a /* nested */ comment */ x".utf8)).map(\.kind)
        XCTAssertEqual(tokens, [
            .intLiteral(value: 31, suffix: "u"), .intLiteral(value: 12, suffix: "i"),
            .floatLiteral(value: 1.5e-3, suffix: ""), .floatLiteral(value: 0.5, suffix: ""),
            .floatLiteral(value: 3, suffix: "f"), .floatLiteral(value: 2, suffix: "h"),
            .floatLiteral(value: 16, suffix: ""), .identifier("x"), .endOfFile,
        ])
    }

    func testNestedTemplateClosersSplitShiftTokens() throws {
        let output = try XCTUnwrap(translateOrFail("""
        @group(0) @binding(0) var<storage, read_write> v: array<vec4<f32>>;
        var<private> m: array<array<u32, 2>, 3>;
        @compute @workgroup_size(1) fn main() { v[0] = vec4<f32>(f32(m[2][1] >> 1u)); }
        """))
        XCTAssertTrue(output.glsl.contains("vec4 v[];"))
        XCTAssertTrue(output.glsl.contains("uint[3][2] m = uint[3][2]("), output.glsl)
    }

    func testRelationalAndShiftOperatorsDoNotChain() {
        XCTAssertNotNil(diagnostic(for: "@compute @workgroup_size(1) fn main() { let a = 1 < 2 < 3; }"))
        XCTAssertNotNil(diagnostic(for: "@compute @workgroup_size(1) fn main() { let a = 1u << 2u << 3u; }"))
        XCTAssertNil(diagnostic(for: "@compute @workgroup_size(1) fn main() { let a = (1u << 2u) << 3u; let b = (1 < 2) && (2 < 3); }"))
    }

    func testDeclarationsMayComeInAnyOrder() throws {
        let output = try XCTUnwrap(translateOrFail("""
        @compute @workgroup_size(1) fn main() { out[0] = helper(LIMIT); }
        fn helper(x: u32) -> u32 { return x * SCALE; }
        const SCALE = 3u;
        const LIMIT: u32 = 7u;
        @group(0) @binding(0) var<storage, read_write> out: array<u32>;
        """)).glsl
        let helper = try XCTUnwrap(output.range(of: "uint helper(uint x)"))
        let main = try XCTUnwrap(output.range(of: "void main()"))
        XCTAssertLessThan(helper.lowerBound, main.lowerBound, "callees are declared before callers")
    }

    func testConstantFoldingFollowsWGSLErrors() {
        XCTAssertEqual(diagnostic(for: "const X = 1 / 0;\n@compute @workgroup_size(1) fn main() {}")?.contains("division by zero"), true)
        XCTAssertEqual(diagnostic(for: "const X = 2147483647i + 1i;\n@compute @workgroup_size(1) fn main() {}")?.contains("overflows i32"), true)
        XCTAssertEqual(diagnostic(for: "const X: i32 = 2147483647 + 1;\n@compute @workgroup_size(1) fn main() {}")?.contains("does not fit in i32"), true)
        XCTAssertNil(diagnostic(for: "const X = 4294967295u;\nconst Y = X >> 31u;\n@compute @workgroup_size(1) fn main() {}"))
    }

    func testNamerAvoidsGLSLWordsAndKeepsNamesUnique() {
        var namer = Namer(reserved: ["wgsl_div"])
        XCTAssertEqual(namer.name("input"), "input_1")
        XCTAssertEqual(namer.name("gl_Position"), "wgsl_gl_Position")
        XCTAssertEqual(namer.name("a__b"), "a_b")
        XCTAssertEqual(namer.name("value"), "value")
        XCTAssertEqual(namer.name("value"), "value_1")
        XCTAssertEqual(namer.name("wgsl_div"), "wgsl_div_1")
    }
}
