import XCTest
@testable import Kernels

final class GroupingThresholdTests: XCTestCase {
    /// A step groups by expert only with at least `groupedMinSlotsPerExpert` slots per expert
    /// on average (and `groupedMinTokens` tokens): too few slots leave the token tiles nearly
    /// empty, where the per-slot kernels are faster (timed on the H200, BENCHMARKS.md).
    func testGroupingNeedsEnoughSlotsPerExpert() throws {
        var rng = SeededRNG(test: "grouping-threshold")
        let experts = 8, k = 2, hidden = 32, ff = 32
        let kernels = try GPU.library(tuning: try KernelTuning.portable.overridden(by: "groupedMinTokens=2,groupedMinSlotsPerExpert=4"))
        let (raw, _) = try rng.tensor(.q8_0, rows: experts * hidden, cols: ff)
        let down = try GPUExperts(context: GPU.context, packed: try PackedWeights.repack(raw: raw, format: .q8_0, rows: experts * hidden, cols: ff),
                                  experts: experts, label: "down")
        let ids = try GPU.buffer(ids: (0 ..< 16 * k).map { $0 % experts }, "ids")
        XCTAssertNil(try kernels.groupExpertsIfWorthwhile(ids: ids, down: down, k: k, tokens: 15), "30 slots over 8 experts: under 4 each")
        XCTAssertNotNil(try kernels.groupExpertsIfWorthwhile(ids: ids, down: down, k: k, tokens: 16), "32 slots: 4 each")
        XCTAssertEqual(KernelTuning.wide.grouped.minSlotsPerExpert, 32)
        XCTAssertEqual(KernelTuning.wide.prefillBatch, 512)
        XCTAssertEqual(KernelTuning.portable.prefillBatch, 32)
        XCTAssertEqual(try KernelTuning.portable.overridden(by: "prefillBatch=64").prefillBatch, 64)
    }
}
