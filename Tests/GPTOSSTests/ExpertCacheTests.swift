import XCTest
import GLES
import Kernels
import Telemetry
@testable import GPTOSS

/// `--gpu-memory-budget`: experts in host memory and an LRU pool of GPU slots per layer must give
/// the logits of the all-resident model, in prefill (more distinct experts than slots: several
/// passes) and in decode (k = 3 experts through 1 or 2 slots), with consistent hit/miss counts.
final class ExpertCacheTests: XCTestCase {
    /// Differences come only from the order the passes add into the residual.
    static let tolerance: Float = 1e-5

    func kernels() throws -> KernelLibrary { try SharedGPU.kernels() }

    func load(_ path: String, budget: Int?, telemetry: TelemetryBus? = nil) throws -> GPTOSSModel {
        let k = try kernels()
        return try GPTOSSModel.load(location: path, context: k.context,
                                    options: ModelOptions(context: 64, batch: 16, gpuMemoryBudget: budget), kernels: k, telemetry: telemetry)
    }

    func budget(_ path: String, slots: Int) throws -> Int {
        try ResidencyPlan(model: ModelFile(location: path), options: ModelOptions(context: 64, batch: 16)).budget(forSlots: slots)
    }

    /// Distinct experts each layer's router picks for `tokens` (CPU top-k of the dumped router logits).
    func expertUses(_ model: GPTOSSModel, routerLogits dumps: [Intermediate: [Float]], tokens: Int) -> Int {
        let e = model.config.expertCount, k = model.config.expertUsedCount
        var uses = 0
        for n in 0 ..< model.config.blockCount {
            let logits = dumps[.layer(n, .routerLogits)]!
            var chosen = Set<Int>()
            for t in 0 ..< tokens {
                let row = Array(logits[t * e ..< (t + 1) * e])
                chosen.formUnion(row.indices.sorted { row[$0] > row[$1] }.prefix(k))
            }
            uses += chosen.count
        }
        return uses
    }

    func testBudgetedLogitsMatchResidentInPrefillAndDecode() throws {
        let fixture = try Fixture("tiny-b")
        for flavour in ["mxfp4", "q8_0"] {
            let path = fixture.modelPath(flavour)
            let tokens = fixture.manifest.cases[1].tokens
            let resident = try load(path, budget: nil)
            XCTAssertNil(resident.weights.expertCache)
            let expectedPrefill = try resident.prefill(tokens, logits: .all)
            resident.reset()
            let split = 6
            try resident.prefill(Array(tokens[..<split]), logits: .none)
            var expectedDecode: [[Float]] = []
            for t in tokens[split ..< split + 5] {
                var ignored: [Intermediate: [Float]] = [:]
                try resident.decode(t, dumps: [], into: &ignored)
                expectedDecode.append(try resident.lastLogits())
            }

            for slots in [1, 2] {
                let collector = EventCollector()
                let model = try load(path, budget: try budget(path, slots: slots), telemetry: TelemetryBus(sinks: [collector]))
                let cache = try XCTUnwrap(model.weights.expertCache, "\(flavour): a budget of \(slots) slots caches experts")
                XCTAssertEqual(cache.slots, slots)
                let layers = model.config.blockCount, k = model.config.expertUsedCount

                // Prefill: every layer needs more distinct experts than slots, so it runs in passes.
                let routers = Set((0 ..< layers).map { Intermediate.layer($0, .routerLogits) })
                var dumps: [Intermediate: [Float]] = [:]
                let prefill = try model.prefill(tokens, logits: .all, dumps: routers, into: &dumps)
                let cmp = LogitComparison(actual: prefill, expected: expectedPrefill)
                XCTAssertLessThanOrEqual(cmp.relative, Self.tolerance, "\(flavour) \(slots) slots prefill: maxdiff \(cmp.maxAbsDiff)")
                // Prefill runs in batches of 16: count uses per batch.
                var uses = 0
                for start in stride(from: 0, to: tokens.count, by: 16) {
                    let n = min(16, tokens.count - start)
                    var batch: [Intermediate: [Float]] = [:]
                    for (name, values) in dumps { batch[name] = Array(values[start * model.config.expertCount ..< (start + n) * model.config.expertCount]) }
                    uses += expertUses(model, routerLogits: batch, tokens: n)
                }
                XCTAssertEqual(cache.hits + cache.misses, uses, "\(flavour) \(slots) slots: one hit or miss per distinct expert per layer and step")
                XCTAssertGreaterThan(cache.passes, layers * ((tokens.count + 15) / 16), "more experts than slots: several passes")
                XCTAssertGreaterThanOrEqual(cache.misses, layers * model.config.expertCount / 2)

                // Decode after a fresh prefill: k distinct experts per layer and step.
                model.reset()
                try model.prefill(Array(tokens[..<split]), logits: .none)
                for (i, t) in tokens[split ..< split + 5].enumerated() {
                    let before = cache.hits + cache.misses
                    var ignored: [Intermediate: [Float]] = [:]
                    try model.decode(t, dumps: [], into: &ignored)
                    XCTAssertEqual(cache.hits + cache.misses - before, layers * k, "decode step \(i)")
                    let row = LogitComparison(actual: try model.lastLogits(), expected: expectedDecode[i])
                    XCTAssertLessThanOrEqual(row.relative, Self.tolerance, "\(flavour) \(slots) slots decode \(i): maxdiff \(row.maxAbsDiff)")
                }
                let stats = collector.events.compactMap { if case .expertCache(let s) = $0.payload { return s } else { return nil } }
                XCTAssertEqual(stats.last, ExpertCacheStats(hits: cache.hits, misses: cache.misses), "telemetry carries the totals")
                print("expert cache \(flavour) \(slots) slots: prefill maxdiff \(cmp.maxAbsDiff), hits \(cache.hits), misses \(cache.misses), passes \(cache.passes)")
            }
        }
    }

    func testBudgetTooSmallFailsBeforeLoadingAndNamesTheMinimum() throws {
        let path = try Fixture("tiny-a").modelPath("f32")
        let plan = try ResidencyPlan(model: ModelFile(location: path), options: ModelOptions(context: 64, batch: 16))
        let k = try kernels()
        let before = k.context.memory.allocatedBytes
        XCTAssertThrowsError(try load(path, budget: plan.minimumBudget - 1)) { error in
            guard case .budgetTooSmall(_, let minimum, _) = error as? GPTOSSError else { return XCTFail("got \(error)") }
            XCTAssertEqual(minimum, plan.minimumBudget)
            XCTAssertTrue(error.localizedDescription.contains("--gpu-memory-budget"), error.localizedDescription)
        }
        XCTAssertEqual(k.context.memory.allocatedBytes, before, "nothing was allocated")
        // Exactly the minimum works: one slot per layer.
        XCTAssertEqual(try load(path, budget: plan.minimumBudget).weights.expertCache?.slots, 1)
        // A budget that holds everything keeps every expert resident.
        XCTAssertNil(try load(path, budget: plan.budget(forSlots: plan.experts)).weights.expertCache)
    }

    func testSlotTableEvictsTheLeastRecentlyUsed() {
        var table = SlotTable(slots: 2, experts: 5)
        XCTAssertEqual(table.groups(for: [3, 1, 3, 4]), [[3, 1], [4]])
        var a = table.assign([3, 1])
        XCTAssertEqual(a.hits, 0)
        XCTAssertEqual(a.loads.map(\.expert), [3, 1])
        a = table.assign([1])
        XCTAssertEqual(a.hits, 1)
        a = table.assign([4])  // 3 is older than 1
        XCTAssertEqual(a.loads.map(\.expert), [4])
        XCTAssertNil(table.slot(of: 3))
        XCTAssertNotNil(table.slot(of: 1))
        XCTAssertEqual(table.groups(for: [2, 4, 1]), [[4, 1], [2]], "resident experts go in the first pass")
    }

    func testByteSizes() {
        XCTAssertEqual(ByteSize.parse("8G"), 8 << 30)
        XCTAssertEqual(ByteSize.parse("512M"), 512 << 20)
        XCTAssertEqual(ByteSize.parse("1.5GiB"), 3 << 29)
        XCTAssertEqual(ByteSize.parse("4096"), 4096)
        XCTAssertEqual(ByteSize.parse("64kb"), 64 << 10)
        XCTAssertNil(ByteSize.parse("lots"))
        XCTAssertNil(ByteSize.parse("-1G"))
        XCTAssertNil(ByteSize.parse("0"))
        XCTAssertEqual(ByteSize.format((3 << 20) + 1, roundingUp: true), "4M")
    }
}
