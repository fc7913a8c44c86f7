import XCTest
@testable import Kernels

/// Every kernel the library can launch is one case of `Kernel`, with a shader file and an
/// operation: nothing falls through to a stray name in the HUD or the profile.
final class KernelIdentityTests: XCTestCase {
    func testKernelTableMatchesTheShaderFoldersBothWays() throws {
        let glsl = try ShaderLibrary.located().directory
        let wgsl = glsl.deletingLastPathComponent().appendingPathComponent("wgsl")
        func names(_ folder: URL, _ suffix: String) throws -> Set<String> {
            Set(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(suffix) }
                .map { String($0.dropLast(suffix.count)) })
        }
        let table = Set(Kernel.allCases.map(\.shader))
        XCTAssertEqual(table, try names(glsl, ".comp"), "Kernel's cases and Shaders/glsl/*.comp")
        XCTAssertEqual(table, try names(wgsl, ".wgsl"), "Kernel's cases and Shaders/wgsl/*.wgsl")
    }

    func testEveryOperationHasAKernelAndTheFusedOnesMapWhereTheyBelong() {
        XCTAssertEqual(Set(Kernel.allCases.map(\.operation)), Set(KernelOperation.allCases), "an operation no kernel computes")
        XCTAssertEqual(Kernel.outRouterDecode.operation, .router)
        XCTAssertEqual(Kernel.attentionProbe.operation, .attentionProbe)
        XCTAssertEqual(Kernel.attentionCombine.operation, .attentionDecode)
        XCTAssertEqual(Kernel.logitsSelect.operation, .sampling)
    }

    func testProfileLabelCarriesTheFormatOnlyWhereThereIsOne() {
        XCTAssertEqual(KernelIdentity(kernel: .linear, format: .mxfp4).label, "f32_linear mxfp4")
        XCTAssertEqual(KernelIdentity(kernel: .rmsNorm, format: nil).label, "f32_rmsnorm")
    }

    /// A launch reports its typed identity: the fused decode kernels included.
    func testLaunchReportsAreTyped() throws {
        let kernels = try GPU.library()
        let x = try GPU.buffer([Float](repeating: 1, count: 64), "x"), w = try GPU.buffer([Float](repeating: 1, count: 64), "w")
        let y = try GPU.zeros(64, "y")
        let report = try kernels.rmsNorm(RMSNormArgs(input: x, weight: w, output: y, width: 64, tokens: 1, eps: 1e-5))
        XCTAssertEqual(report.kernel, .rmsNorm)
        XCTAssertEqual(report.operation, .rmsnorm)
        XCTAssertNil(report.format)
        XCTAssertTrue(report.program.hasPrefix("f32_rmsnorm["), report.program)
    }
}

/// The kernel tests' inputs are deterministic unless GPTOSS_GL_TEST_SEED asks otherwise.
final class TestSeedTests: XCTestCase {
    func testSeedsAreFixedPerTestByDefault() {
        XCTAssertEqual(SeededRNG.seed(for: "rope", setting: nil), SeededRNG.seed(for: "rope", setting: nil))
        XCTAssertEqual(SeededRNG.seed(for: "rope", setting: nil), SeededRNG.fnv1a("rope"))
        XCTAssertNotEqual(SeededRNG.seed(for: "rope", setting: nil), SeededRNG.seed(for: "rope append", setting: nil))
        XCTAssertEqual(SeededRNG.fnv1a(""), 0xcbf2_9ce4_8422_2325, "FNV-1a's offset basis")
        XCTAssertEqual(SeededRNG.fnv1a("a"), 0xaf63_dc4c_8601_ec8c, "FNV-1a of 'a'")
        XCTAssertEqual(SeededRNG.seed(for: "rope", setting: "42"), 42)
    }
}

/// The docs name kernels by their files: every `f32_…` name in docs/design.md and
/// docs/kernels.md is a shader in Shaders/wgsl.
final class KernelNamesInDocsTests: XCTestCase {
    func testDocsNameOnlyExistingShaders() throws {
        let root = try ShaderLibrary.located().directory.deletingLastPathComponent().deletingLastPathComponent()
        let shaders = Set(Kernel.allCases.map(\.shader))
        let pattern = try NSRegularExpression(pattern: "\\bf32_[a-z0-9_]+")
        for doc in ["docs/design.md", "docs/kernels.md"] {
            let text = try String(contentsOf: root.appendingPathComponent(doc), encoding: .utf8)
            let names = Set(pattern.matches(in: text, range: NSRange(text.startIndex..., in: text))
                .map { String(text[Range($0.range, in: text)!]) })
            XCTAssertFalse(names.isEmpty, doc)
            XCTAssertEqual(names.subtracting(shaders), [], "\(doc) names kernels that are not in Shaders/wgsl")
        }
    }
}
