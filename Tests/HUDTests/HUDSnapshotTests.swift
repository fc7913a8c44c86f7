import XCTest
@testable import HUD
import Telemetry

/// Key frames of the canned logs against golden PNGs (see Snapshot for tolerance and updates).
final class HUDSnapshotTests: XCTestCase {
    private func frame(_ log: String, at pick: ([TelemetryEvent]) throws -> Double, size: FrameSize = .hd) throws -> RGBAImage {
        let events = try HUDTestSupport.events(log)
        let time = try pick(events)
        return try HUDTestSupport.renderer().render(HUDState(events: events, upTo: time), time: time, size: size)
    }

    /// The first moment the load is 30 % done.
    static func loadingThirtyPercent(_ events: [TelemetryEvent]) throws -> Double {
        var state = HUDState()
        for event in events {
            state.apply(event)
            if state.loadFraction >= 0.3 { return event.time }
        }
        // A fixture that lost its load events must fail the golden, not skip it.
        throw FixtureProblem(message: "the log never reaches 30 % loaded: no frame to compare with the loading-30 golden")
    }

    struct FixtureProblem: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    /// Just after the runtime is ready: every tensor listed, memory full, no tokens yet.
    static func loadComplete(_ events: [TelemetryEvent]) throws -> Double {
        let ready = events.first {
            if case .stage(let change) = $0.payload { return change.stage == .runtime && change.status == .completed }
            return false
        }
        return try XCTUnwrap(ready).time + 0.001
    }

    /// Mid-answer: a token 0.1 s old (its pulse still visible), the final channel streaming.
    static func generating(_ events: [TelemetryEvent]) throws -> Double {
        let tokens = events.filter { if case .token = $0.payload { return true }; return false }
        return try XCTUnwrap(tokens.dropFirst(32).first).time + 0.1
    }

    static func afterError(_ events: [TelemetryEvent]) throws -> Double {
        let error = events.first { if case .error = $0.payload { return true }; return false }
        return try XCTUnwrap(error).time + 0.3
    }

    func testLoadingAtThirtyPercent() throws {
        try Snapshot.assertMatches(try frame("run.jsonl", at: Self.loadingThirtyPercent), golden: "loading-30")
    }

    func testFullTensorListWhenLoaded() throws {
        try Snapshot.assertMatches(try frame("run.jsonl", at: Self.loadComplete), golden: "loaded")
    }

    func testGenerationWithProbabilityBars() throws {
        try Snapshot.assertMatches(try frame("run.jsonl", at: Self.generating), golden: "generating")
    }

    func testErrorState() throws {
        try Snapshot.assertMatches(try frame("error.jsonl", at: Self.afterError), golden: "error")
    }

    func testSmallFrame() throws {
        try Snapshot.assertMatches(try frame("run.jsonl", at: Self.generating, size: FrameSize(width: 640, height: 360)), golden: "generating-640x360")
    }

    func testLargeFrame() throws {
        try Snapshot.assertMatches(try frame("run.jsonl", at: Self.generating, size: FrameSize(width: 1920, height: 1080)), golden: "generating-1920x1080")
    }

    /// A server with four sequences decoding and one queued: the sessions view.
    static func serving(_ events: [TelemetryEvent]) throws -> Double {
        let busiest = events.filter {
            if case .sessions(let table) = $0.payload { return table.queued > 0 && table.rows.filter { $0.state == .decode }.count >= 4 }
            return false
        }
        return try XCTUnwrap(busiest.dropFirst().first, "no table with four sequences decoding and one waiting").time + 0.05
    }

    func testSessionsView() throws {
        try Snapshot.assertMatches(try frame("sessions.jsonl", at: Self.serving), golden: "sessions")
    }

    /// Speculative decoding: accepted drafts underlined, the acceptance rate in the title.
    func testSpeculation() throws {
        try Snapshot.assertMatches(try frame("speculation.jsonl", at: { events in
            let tokens = events.filter { if case .token = $0.payload { return true }; return false }
            return try XCTUnwrap(tokens.dropFirst(24).first).time + 0.1
        }), golden: "speculation")
    }

    /// A live frame mid-load, drawn by the live HUD on its own thread and context and written
    /// to its file: the same as the replayed frame at that time.
    func testLiveFrameMidLoad() throws {
        let events = try HUDTestSupport.events("run.jsonl")
        let time = try Self.loadingThirtyPercent(events)
        let path = try HUDTestSupport.temporaryDirectory(self).appendingPathComponent("live.png").path
        let live = try LiveFrameFile.open(path: path, clock: { time }, fontsDirectory: HUDTestSupport.fontsDirectory)
        for event in events where event.time <= time { live.receive(event) }
        live.start()
        try live.finish()
        XCTAssertNil(live.error)
        try Snapshot.assertMatches(try PNGFile.read(path: path), golden: "live-loading")
    }
}
