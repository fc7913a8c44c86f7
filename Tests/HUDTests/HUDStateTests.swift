import XCTest
@testable import HUD
import Telemetry

/// The fold from events to HUD state: pure, so these need no GPU.
final class HUDStateTests: XCTestCase {
    func testPhasesFollowTheRun() throws {
        let events = try HUDTestSupport.events("run.jsonl")
        XCTAssertEqual(HUDState().phase, .idle)
        XCTAssertEqual(HUDState(events: events, upTo: 1.0).phase, .loading)
        let ready = try HUDSnapshotTests.loadComplete(events)
        XCTAssertEqual(HUDState(events: events, upTo: ready).phase, .ready)
        XCTAssertEqual(HUDState(events: events, upTo: try HUDSnapshotTests.generating(events)).phase, .generating)
        XCTAssertEqual(HUDState(events: events).phase, .done)
        XCTAssertEqual(HUDState(events: try HUDTestSupport.events("error.jsonl")).phase, .failed)
    }

    func testLoadFractionGrowsToOneAndTensorsPairFetchWithUpload() throws {
        let events = try HUDTestSupport.events("run.jsonl")
        var state = HUDState()
        var last = 0.0
        for event in events {
            state.apply(event)
            XCTAssertGreaterThanOrEqual(state.loadFraction, last, "progress never goes back (at t=\(event.time))")
            last = state.loadFraction
        }
        XCTAssertEqual(state.loadFraction, 1)
        XCTAssertEqual(state.load.uploadedTensors, 459)
        XCTAssertEqual(state.memory?.residentTensors, 459)
        XCTAssertTrue(state.tensors.allSatisfy { $0.uploadMs != nil }, "every listed tensor got its upload time")
        XCTAssertEqual(state.layerUploads.count, 24)
        XCTAssertEqual(state.layerUploads[0], 19)
    }

    func testStateAtATimeIgnoresLaterEvents() throws {
        let events = try HUDTestSupport.events("run.jsonl")
        let time = try HUDSnapshotTests.generating(events)
        let state = HUDState(events: events, upTo: time)
        let tokensSoFar = events.filter { if case .token = $0.payload { return $0.time <= time }; return false }.count
        XCTAssertGreaterThan(tokensSoFar, 32)
        XCTAssertEqual(state.tokens.count, tokensSoFar)
        XCTAssertTrue(state.tokens.allSatisfy { $0.time <= time })
        XCTAssertEqual(state.routerByLayer.count, 24)
        XCTAssertEqual(state.eventCount, events.filter { $0.time <= time }.count)
    }

    func testFailedRunKeepsTheErrorAndTheFailedStage() throws {
        let state = HUDState(events: try HUDTestSupport.events("error.jsonl"))
        XCTAssertEqual(state.errors.count, 1)
        XCTAssertEqual(state.stages[.gpuUpload]?.status, .failed)
        XCTAssertEqual(Set(state.kernelModes.map(\.op)), Set(KernelOp.all).subtracting([KernelOp.attentionProbe]),
                       "every op of the forward pass reported once (the probe runs only with --attention-layer)")
        XCTAssertLessThan(state.loadFraction, 0.5)
    }

    /// Every op the engine reports has its own label in the kernel panel (no raw, stray rows).
    func testEveryKernelOpHasAPanelLabel() {
        XCTAssertEqual(Set(Painter.kernelLabels.keys), Set(KernelOp.all))
    }

    func testLayerNamesAreParsed() {
        XCTAssertEqual(HUDState.layer(of: "blk.17.ffn_up_exps.weight"), 17)
        XCTAssertNil(HUDState.layer(of: "token_embd.weight"))
        XCTAssertNil(HUDState.layer(of: "blk.x.attn_q.weight"))
    }

    func testDecodeRateIsMeasuredFromTokenTimesWhenNotReported() {
        var state = HUDState()
        for index in 0..<5 {
            state.apply(TelemetryEvent(time: 1 + Double(index) * 0.25, .token(TokenSample(
                position: index, id: index, text: "x", channel: .final, top: [], entropy: 1))))
        }
        XCTAssertEqual(state.decodeRate ?? 0, 4, accuracy: 1e-9, "5 tokens 0.25 s apart: 4 tok/s")
        state.apply(TelemetryEvent(time: 2.1, .throughput(Throughput(stage: .decode, tokens: 5, tokensPerSecond: 3.9))))
        XCTAssertEqual(state.decodeRate, 3.9, "the generator's own report wins once it covers every token")
    }
}
