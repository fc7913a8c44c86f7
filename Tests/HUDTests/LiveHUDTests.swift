import Foundation
import XCTest
@testable import HUD
import Telemetry

/// The live HUD: its own thread and context, never blocking the emitter, a frame rate that
/// adapts to the frame cost, an atomically replaced file, and a run whose --record equals the
/// replay of its log while live frames are drawn beside it.
final class LiveHUDTests: XCTestCase {
    private let small = FrameSize(width: 160, height: 90)

    /// A clock the test moves: the run time of the latest event fed in.
    private final class ManualClock: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0.0
        var now: Double { lock.lock(); defer { lock.unlock() }; return value }
        func set(_ time: Double) { lock.lock(); value = time; lock.unlock() }
    }

    func testEmitterNeverWaitsOnAFrame() throws {
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let first = NSLock()
        var blocked = false
        let live = try LiveHUD(options: LiveHUD.Options(size: small, fps: 60), clock: { 1.0 },
                               fontsDirectory: HUDTestSupport.fontsDirectory) { _, _ in
            first.lock(); let isFirst = !blocked; blocked = true; first.unlock()
            if isFirst { entered.signal(); release.wait() }
        }
        live.start()
        XCTAssertEqual(entered.wait(timeout: .now() + 60), .success, "no first frame")
        // The renderer is stuck delivering its first frame: events must still go through at once.
        let begin = Date()
        for index in 0..<20_000 { live.receive(TelemetryEvent(time: 0.5, .note(Note(message: "event \(index)")))) }
        XCTAssertLessThan(Date().timeIntervalSince(begin), 1.0, "receive waited on the renderer")
        release.signal()
        // finish draws one last frame with all the events.
        try live.finish()
        XCTAssertNil(live.error)
        XCTAssertGreaterThanOrEqual(live.stats.frames, 2)
    }

    func testFrameRateAdaptsToTheFrameCost() throws {
        let clock = ManualClock()
        // Each frame costs at least 60 ms; with a quarter of the time for frames, at most one
        // frame in 240 ms, though 30 fps were asked for.
        let live = try LiveHUD(options: LiveHUD.Options(size: small, fps: 30, maxBusyFraction: 0.25), clock: { clock.now },
                               fontsDirectory: HUDTestSupport.fontsDirectory) { _, _ in Thread.sleep(forTimeInterval: 0.06) }
        live.start()
        XCTAssertTrue(live.waitForFrames(1, timeout: 60))
        let begin = Date()
        var index = 0
        while Date().timeIntervalSince(begin) < 1.5 {
            clock.set(Double(index) * 0.01)
            live.receive(TelemetryEvent(time: clock.now, .note(Note(message: "step \(index)"))))
            index += 1
            Thread.sleep(forTimeInterval: 0.005)
        }
        let framesInWindow = live.stats.frames - 1
        try live.finish()
        XCTAssertGreaterThanOrEqual(live.stats.interval, 0.24 - 1e-6)
        XCTAssertLessThanOrEqual(framesInWindow, Int(1.5 / 0.24) + 1, "asked 30 fps, frames cost 60 ms: it must slow down")
        XCTAssertGreaterThanOrEqual(framesInWindow, 2, "it still draws")
    }

    /// A CPU renderer keeps frames to a quarter of the time; a GPU (whose frame cost is mostly
    /// the encode on the renderer's own core) may take more; a share outside (0, 1] is refused.
    func testTheBusyShareDependsOnTheRenderer() throws {
        let options = LiveHUD.Options()
        XCTAssertEqual(options.busyFraction(softwareRenderer: true), 0.25)
        XCTAssertEqual(options.busyFraction(softwareRenderer: false), 0.6)
        XCTAssertThrowsError(try LiveHUD(options: LiveHUD.Options(maxBusyFractionOnGPU: 0), clock: { 0 }) { _, _ in }) { error in
            guard case HUDError.badSchedule = error else { return XCTFail("\(error)") }
        }
    }

    func testLiveFileIsReplacedAtomically() throws {
        let folder = try HUDTestSupport.temporaryDirectory(self)
        let path = folder.appendingPathComponent("live.png").path
        let events = try HUDTestSupport.events("run.jsonl")
        let clock = ManualClock()
        let live = try LiveFrameFile.open(path: path, options: LiveHUD.Options(size: small, fps: 60, maxBusyFraction: 1),
                                          clock: { clock.now }, fontsDirectory: HUDTestSupport.fontsDirectory)
        live.start()
        XCTAssertTrue(live.waitForFrames(1, timeout: 60))
        var reads = 0
        for (index, event) in events.enumerated() {
            clock.set(event.time)
            live.receive(event)
            if index % 10 == 0 { Thread.sleep(forTimeInterval: 0.002) }
            if index % 40 == 0 {
                // Every read finds a whole PNG of the frame size: never a half-written file.
                let image = try PNGFile.read(path: path)
                XCTAssertEqual(image.width, small.width)
                reads += 1
            }
        }
        try live.finish()
        XCTAssertGreaterThan(reads, 50)
        XCTAssertGreaterThan(live.stats.frames, 2)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0 != "live.png" }
        XCTAssertEqual(leftovers, [], "temporary files left behind")
        // The last frame shows every event, at the clock's last time.
        let last = try XCTUnwrap(events.last).time
        XCTAssertEqual(try PNGFile.read(path: path),
                       try HUDTestSupport.renderer().render(HUDState(events: events), time: last, size: small))
    }

    func testBadLivePathsAreRefusedUpFront() throws {
        let folder = try HUDTestSupport.temporaryDirectory(self)
        for (path, words) in [(folder.appendingPathComponent("no/such/live.png").path, "does not exist"),
                              (folder.appendingPathComponent("live.jpg").path, ".png")] {
            XCTAssertThrowsError(try LiveFrameFile.open(path: path, clock: { 0 })) { error in
                let message = error.localizedDescription
                XCTAssertTrue(message.contains(path) && message.contains(words), message)
            }
        }
    }

    /// What `generate --live --record DIR --telemetry LOG` does with the events, sped up: the
    /// recording made while live frames are drawn equals `render-frames` of the log, frame for
    /// frame at the same size and fps.
    func testLiveRunRecordingEqualsItsReplay() throws {
        let events = try HUDTestSupport.events("run.jsonl")
        let folder = try HUDTestSupport.temporaryDirectory(self)
        let logPath = folder.appendingPathComponent("run.jsonl").path
        let start = try HUDSnapshotTests.generating(events)
        let options = HUDRecorder.Options(size: small, fps: 10, from: start - 0.3, to: start + 0.3)
        let clock = ManualClock()

        let bus = TelemetryBus()
        bus.add(try JSONLRecorder(path: logPath))
        let recorder = try HUDRecorder.open(recordPath: folder.appendingPathComponent("record").path,
                                            context: try HUDTestSupport.context(), options: options)
        bus.add(recorder)
        let live = try LiveFrameFile.open(path: folder.appendingPathComponent("live.png").path,
                                          options: LiveHUD.Options(size: small, fps: 30), clock: { clock.now },
                                          fontsDirectory: HUDTestSupport.fontsDirectory)
        bus.add(live)
        live.start()
        for event in events {
            clock.set(event.time)
            bus.receive(event)
        }
        try bus.finish()
        XCTAssertGreaterThan(live.stats.frames, 0)

        let replayed = try HUDReplay.render(events: try JSONLReplayer.read(path: logPath),
                                            outputPath: folder.appendingPathComponent("replay").path, options: options,
                                            context: try HUDTestSupport.context())
        XCTAssertEqual(recorder.framesWritten, 7)
        XCTAssertEqual(replayed.frames, recorder.framesWritten)
        for index in 0..<recorder.framesWritten {
            let name = PNGSequenceOutput.frameName(index)
            let a = try Data(contentsOf: folder.appendingPathComponent("record/" + name))
            let b = try Data(contentsOf: folder.appendingPathComponent("replay/" + name))
            XCTAssertEqual(a, b, "frame \(index)")
        }
    }
}
