import XCTest
@testable import HUD
import Telemetry

/// Properties of rendering that golden images alone would not pin down.
final class HUDRenderingTests: XCTestCase {
    func testSameStateAndTimeGiveIdenticalPixels() throws {
        let events = try HUDTestSupport.events("run.jsonl")
        let time = try HUDSnapshotTests.generating(events)
        let renderer = try HUDTestSupport.renderer()
        let first = try renderer.render(HUDState(events: events, upTo: time), time: time, size: FrameSize(width: 320, height: 180))
        let second = try renderer.render(HUDState(events: events, upTo: time), time: time, size: FrameSize(width: 320, height: 180))
        XCTAssertEqual(first, second)
    }

    func testAReplayedLogDrawsTheLiveFrames() throws {
        // The live path folds in-memory events; the replay path reads them back from JSONL.
        let events = try HUDTestSupport.events("run.jsonl")
        let path = try HUDTestSupport.temporaryDirectory(self).appendingPathComponent("again.jsonl").path
        let recorder = try JSONLRecorder(path: path)
        JSONLReplayer.replay(events, into: recorder)
        try recorder.finish()
        let replayed = try JSONLReplayer.read(path: path)
        let time = try HUDSnapshotTests.generating(events)
        XCTAssertEqual(HUDState(events: replayed, upTo: time), HUDState(events: events, upTo: time))
    }

    func testFrameChangesWithTimeAlone() throws {
        // The same events at two times differ (clock, blinking, pulse): frames are a function of time too.
        let events = try HUDTestSupport.events("run.jsonl")
        let time = try HUDSnapshotTests.generating(events)
        let state = HUDState(events: events, upTo: time)
        let renderer = try HUDTestSupport.renderer()
        let size = FrameSize(width: 320, height: 180)
        XCTAssertNotEqual(try renderer.render(state, time: time, size: size), try renderer.render(state, time: time + 0.5, size: size))
    }

    func testBadFrameSizesAreRefused() throws {
        let renderer = try HUDTestSupport.renderer()
        for size in [FrameSize(width: 641, height: 360), FrameSize(width: 32, height: 32), FrameSize(width: 100_000, height: 720)] {
            XCTAssertThrowsError(try renderer.render(HUDState(), time: 0, size: size)) { error in
                XCTAssertTrue(error.localizedDescription.contains("\(size.width)x\(size.height)"), error.localizedDescription)
            }
        }
    }

    func testFrameSizeParsing() {
        XCTAssertEqual(FrameSize(parsing: "1920x1080"), FrameSize(width: 1920, height: 1080))
        XCTAssertEqual(FrameSize(parsing: "640X360"), FrameSize(width: 640, height: 360))
        XCTAssertNil(FrameSize(parsing: "1920"))
        XCTAssertNil(FrameSize(parsing: "wide x tall"))
    }
}

final class DeviceLimitsConversionTests: XCTestCase {
    func testProbedLimitsBecomeTheKeysTheHUDShows() throws {
        let limits = try HUDTestSupport.context().limits
        let converted = DeviceLimits(limits)
        XCTAssertEqual(converted.renderer, limits.renderer)
        XCTAssertEqual(converted.value(LimitKey.maxStorageBlockBytes), String(limits.maxShaderStorageBlockSize))
        XCTAssertEqual(converted.value(LimitKey.storageBlocksPerShader), String(limits.maxComputeShaderStorageBlocks))
        XCTAssertNotNil(converted.value(LimitKey.f16).map { ["yes", "no"].contains($0) })
        XCTAssertTrue(converted.value(LimitKey.subgroups)?.hasPrefix(limits.subgroups?.computeSupported == true ? "yes" : "no") ?? false)
    }
}
