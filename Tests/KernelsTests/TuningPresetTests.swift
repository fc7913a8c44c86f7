import XCTest
@testable import Kernels

/// `GPTOSS_GL_TUNE=preset=…`: how the card runs the portable tuning that llvmpipe runs (the
/// greedy-output comparison of BENCHMARKS.md), with later items still applied on top.
final class TuningPresetTests: XCTestCase {
    func testAPresetReplacesTheWholeTuning() throws {
        XCTAssertEqual(try KernelTuning.wide.overridden(by: "preset=portable"), .portable)
        XCTAssertEqual(try KernelTuning.portable.overridden(by: "preset=wide"), .wide)
    }

    func testItemsAfterAPresetApplyAndItemsBeforeItDoNot() throws {
        let tuned = try KernelTuning.wide.overridden(by: "linearWorkgroup=512,preset=portable,useSubgroups=0")
        var expected = KernelTuning.portable
        expected.useSubgroups = false
        XCTAssertEqual(tuned, expected)
    }

    func testAnUnknownPresetIsAnErrorNamingTheKnownOnes() {
        XCTAssertThrowsError(try KernelTuningOverrides(parsing: "preset=fast")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("portable or wide") && text.contains("fast"), text)
        }
        XCTAssertTrue(KernelTuningOverrides.names.contains("preset"))
    }
}
