import Foundation
import XCTest
@testable import WGSL

/// Imports (docs/wgsl.md, "Imports"): what a kernel flattens to, and that the kernels in
/// Shaders/wgsl flatten to WGSL that holds each helper once. Golden error messages are in
/// diagnostics/import_*.wgsl; the snapshot of a kernel using imports is in/imports.wgsl.
final class ImportTests: XCTestCase {
    private let kernel = """
    import package::lib::math::{twice, Pair};

    @group(0) @binding(0) var<storage, read_write> values: array<f32>;

    @compute @workgroup_size(1)
    fn main() {
        values[0] = twice(Pair(values[0], 1.0).a);
    }
    """

    private let math = """
    // Not used by twice: stays out.
    fn unused() -> f32 {
        return 0.0;
    }

    struct Pair {
        a: f32,
        b: f32,
    }

    // Two of x.
    fn twice(x: f32) -> f32 {
        return add(x, x);
    }

    fn add(a: f32, b: f32) -> f32 {
        return a + b;
    }
    """

    func testFlatteningDropsTheImportsAndPlacesWhatIsUsedOnceBeforeItsUsers() throws {
        let package = WGSLPackage(files: ["lib/math.wesl": math])
        let flat = try WGSLTranslator.flatten(source: kernel, fileName: "k.wgsl", package: package)
        XCTAssertFalse(flat.contains("import "), flat)
        XCTAssertTrue(flat.hasPrefix("\n@group(0) @binding(0) var<storage, read_write> values"), flat)
        XCTAssertFalse(flat.contains("fn unused"), "only imported items and what they use come in")
        let pair = try XCTUnwrap(flat.range(of: "// from package::lib::math (lib/math.wesl)\nstruct Pair")).lowerBound
        let add = try XCTUnwrap(flat.range(of: "fn add(")).lowerBound
        let twice = try XCTUnwrap(flat.range(of: "// Two of x.\nfn twice")).lowerBound
        let main = try XCTUnwrap(flat.range(of: "fn main(")).lowerBound
        XCTAssertTrue(pair < add && add < twice && twice < main, "each item before its first user, with its comment lines")
        XCTAssertEqual(flat.components(separatedBy: "fn add(").count, 2, "written once")
        XCTAssertNotNil(translateFlat(flat), "the flattened text is a kernel of its own")
    }

    func testAKernelWithoutImportsIsItsOwnFlattening() throws {
        let source = "@compute @workgroup_size(1)\nfn main() {}\n"
        XCTAssertEqual(try WGSLTranslator.flatten(source: source, fileName: "k.wgsl", package: nil), source)
    }

    func testAnErrorInsideAnImportedItemIsReportedInTheModule() throws {
        let package = WGSLPackage(files: ["lib/math.wesl": math.replacingOccurrences(of: "return a + b;", with: "return a + 1u;")],
                                  displayRoot: "Shaders/wgsl")
        let message = try XCTUnwrap(diagnostic(for: kernel, fileName: "k.wgsl", package: package))
        XCTAssertTrue(message.hasPrefix("Shaders/wgsl/lib/math.wesl:17:12: error: cannot add f32 and u32"), message)
        XCTAssertTrue(message.contains("\n    return a + 1u;\n"), message)
    }

    func testImportsWithoutAPackageAreRefusedAtTheImport() throws {
        let message = try XCTUnwrap(diagnostic(for: kernel, fileName: "k.wgsl", package: nil))
        XCTAssertTrue(message.hasPrefix("k.wgsl:1:8: error: imports need a package root"), message)
    }

    func testModulesMayNotHoldDirectives() throws {
        let package = WGSLPackage(files: ["lib/math.wesl": "enable f16;\n" + math])
        let message = try XCTUnwrap(diagnostic(for: kernel, fileName: "k.wgsl", package: package))
        XCTAssertTrue(message.hasPrefix("lib/math.wesl:1:1: error: a module cannot hold 'enable' directives"), message)
    }

    func testASyntaxErrorAnywhereInAModuleIsReportedThere() throws {
        let package = WGSLPackage(files: ["lib/math.wesl": math.replacingOccurrences(of: "return 0.0;", with: "return 0.0")])
        let message = try XCTUnwrap(diagnostic(for: kernel, fileName: "k.wgsl", package: package))
        XCTAssertTrue(message.hasPrefix("lib/math.wesl:3:15: error: expected ';'"), message)
    }

    func testRenamingAndPublicImportsAreRefused() throws {
        let package = WGSLPackage(files: ["lib/math.wesl": math])
        let renamed = kernel.replacingOccurrences(of: "{twice, Pair}", with: "{twice as double, Pair}")
        XCTAssertTrue(try XCTUnwrap(diagnostic(for: renamed, package: package)).contains("renaming imports ('as') is not supported"))
        let exported = "public " + kernel
        XCTAssertTrue(try XCTUnwrap(diagnostic(for: exported, package: package)).contains("'public import' (re-exporting) is not supported"))
        let external = kernel.replacingOccurrences(of: "package::lib", with: "bevy::lib")
        XCTAssertTrue(try XCTUnwrap(diagnostic(for: external, package: package)).contains("external packages are not supported"))
        let tooHigh = kernel.replacingOccurrences(of: "package::lib", with: "super::super::lib")
        XCTAssertTrue(try XCTUnwrap(diagnostic(for: tooHigh, package: package)).contains("above the package root"))
    }

    func testCollectionsNestTheirPaths() throws {
        let package = WGSLPackage(files: ["lib/math.wesl": math, "lib/more/extra.wesl": "fn one() -> f32 {\n    return 1.0;\n}\n"])
        let source = kernel.replacingOccurrences(of: "import package::lib::math::{twice, Pair};",
                                                 with: "import package::lib::{math::{twice, Pair,}, more::extra::one};")
            .replacingOccurrences(of: "values[0] = twice(", with: "values[0] = one() + twice(")
        let flat = try WGSLTranslator.flatten(source: source, fileName: "k.wgsl", package: package)
        XCTAssertTrue(flat.contains("fn one()") && flat.contains("fn twice("), flat)
        XCTAssertNotNil(translateFlat(flat))
    }

    func testDeeplyNestedCollectionsAreADiagnostic() throws {
        let source = "import package::" + String(repeating: "{", count: 10_000) + "a::b" + String(repeating: "}", count: 10_000) + ";\n"
        let message = try XCTUnwrap(diagnostic(for: source, package: WGSLPackage(files: [:])))
        XCTAssertTrue(message.contains("import collections nested more than 16 deep"), message)
    }

    func testOnlyWhatAModuleDeclaresCanBeImportedFromIt() throws {
        let package = WGSLPackage(files: ["lib/math.wesl": math, "lib/relay.wesl": "import package::lib::math::twice;\n"])
        let source = kernel.replacingOccurrences(of: "import package::lib::math::{twice, Pair};",
                                                 with: "import package::lib::math::Pair;\nimport package::lib::relay::twice;")
        let message = try XCTUnwrap(diagnostic(for: source, fileName: "k.wgsl", package: package))
        XCTAssertTrue(message.hasPrefix("k.wgsl:2:29: error: module package::lib::relay (lib/relay.wesl) declares no 'twice'"), message)
    }

    func testALongChainOfModulesIsADiagnostic() throws {
        var files: [String: String] = [:]
        for i in 0..<1_000 { files["lib/m\(i).wesl"] = "import package::lib::m\(i + 1)::f\(i + 1);\nfn f\(i)() -> f32 {\n    return f\(i + 1)();\n}\n" }
        files["lib/m1000.wesl"] = "fn f1000() -> f32 {\n    return 1.0;\n}\n"
        let source = "import package::lib::m0::f0;\n@compute @workgroup_size(1)\nfn main() {\n    let x = f0();\n}\n"
        let message = try XCTUnwrap(diagnostic(for: source, package: WGSLPackage(files: files)))
        XCTAssertTrue(message.contains("modules import one another more than \(Nesting.maxImportDepth) deep"), message)
    }

    /// Every kernel of Shaders/wgsl flattens to WGSL in which no name is declared twice, and
    /// the kernels that share helpers do import them.
    func testShaderKernelsFlattenWithEachDeclarationOnce() throws {
        let wgsl = TestPaths.packageRoot.appendingPathComponent("Shaders/wgsl")
        let package = WGSLPackage(directory: wgsl, displayRoot: "Shaders/wgsl")
        var importers = 0
        for url in try TestPaths.files(in: wgsl, withExtension: "wgsl") {
            let source = try String(contentsOf: url, encoding: .utf8)
            let flat = try WGSLTranslator.flatten(source: source, fileName: url.lastPathComponent, package: package)
            if flat != source { importers += 1 }
            let tokens = try Lexer.tokenize(Array(flat.utf8))
            let names = try TopLevelScanner.scan(tokens, from: 0, source: Array(flat.utf8)).declarations.compactMap(\.name)
            XCTAssertEqual(names.count, Set(names).count, "\(url.lastPathComponent) declares a name twice once flattened")
        }
        XCTAssertGreaterThanOrEqual(importers, 13, "the kernels sharing helpers import them")
    }

    private func translateFlat(_ flat: String) -> TranslationOutput? {
        try? WGSLTranslator.translate(source: flat, fileName: "flat.wgsl")
    }
}
