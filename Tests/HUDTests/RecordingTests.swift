import XCTest
@testable import HUD
import Telemetry

final class RecordingTests: XCTestCase {
    private let small = FrameSize(width: 160, height: 90)

    func testPNGRoundTrip() throws {
        var image = RGBAImage(width: 3, height: 2)
        for index in 0..<image.pixels.count { image.pixels[index] = UInt8((index * 37) % 256) }
        let path = try HUDTestSupport.temporaryDirectory(self).appendingPathComponent("tiny.png").path
        try PNGFile.write(image, to: path)
        XCTAssertEqual(try PNGFile.read(path: path), image)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".partial"))
    }

    func testPNGErrorsNameThePath() throws {
        let missing = try HUDTestSupport.temporaryDirectory(self).appendingPathComponent("no/such/dir/f.png").path
        XCTAssertThrowsError(try PNGFile.write(RGBAImage(width: 1, height: 1), to: missing)) { error in
            XCTAssertTrue(error.localizedDescription.contains(missing), error.localizedDescription)
        }
        XCTAssertThrowsError(try PNGFile.read(path: missing)) { error in
            guard case .pngReadFailed(let path, _) = error as? HUDError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, missing)
        }
    }

    /// The recorder draws frame k at from + k/fps with only the events up to that time, so a
    /// live, progressive recording and a replay after the run give the same frames.
    func testProgressiveAndDeferredRecordingsMatch() throws {
        let events = try HUDTestSupport.events("run.jsonl")
        let start = try HUDSnapshotTests.generating(events)
        let options = HUDRecorder.Options(size: small, fps: 10, from: start, to: start + 0.5)
        let renderer = try HUDTestSupport.renderer()
        let folder = try HUDTestSupport.temporaryDirectory(self)

        let live = try PNGSequenceOutput(directory: folder.appendingPathComponent("live").path)
        let progressive = try HUDRecorder(renderer: renderer, output: live, options: options)
        for event in events {
            progressive.receive(event)
            try progressive.renderDue(upTo: event.time, maxFrames: 1)
        }
        try progressive.finish()

        let after = try PNGSequenceOutput(directory: folder.appendingPathComponent("after").path)
        let deferred = try HUDRecorder(renderer: renderer, output: BackgroundFrameOutput(after), options: options)
        JSONLReplayer.replay(events, into: deferred)
        try deferred.finish()

        XCTAssertEqual(progressive.framesWritten, 6)
        XCTAssertEqual(deferred.framesWritten, 6)
        for index in 0..<6 {
            let name = PNGSequenceOutput.frameName(index)
            let a = try PNGFile.read(path: live.directory + "/" + name)
            let b = try PNGFile.read(path: after.directory + "/" + name)
            XCTAssertEqual(a, b, "frame \(index)")
        }
        let expected = try HUDTestSupport.renderer().render(HUDState(events: events, upTo: start + 0.2), time: start + 0.2, size: small)
        XCTAssertEqual(try PNGFile.read(path: after.directory + "/" + PNGSequenceOutput.frameName(2)), expected)
    }

    func testPNGFolderDropsOldFramesOnly() throws {
        let folder = try HUDTestSupport.temporaryDirectory(self)
        try Data().write(to: folder.appendingPathComponent("frame-000007.png"))
        try Data("keep".utf8).write(to: folder.appendingPathComponent("notes.txt"))
        _ = try PNGSequenceOutput(directory: folder.path)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("frame-000007.png").path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("notes.txt").path))
    }

    func testVideoThroughFFmpeg() throws {
        // `make deps` installs ffmpeg: without it this is a broken setup, not a reason to skip.
        XCTAssertNotNil(FFmpegVideoOutput.findExecutable(FFmpegLocation(searchPath: "/usr/local/bin:/usr/bin:/bin")),
                        "ffmpeg is not installed (make deps installs it)")
        let events = try HUDTestSupport.events("run.jsonl")
        let path = try HUDTestSupport.temporaryDirectory(self).appendingPathComponent("clip.mp4").path
        let summary = try HUDReplay.render(events: events, outputPath: path,
                                           options: HUDRecorder.Options(size: small, fps: 5, from: 9, to: 10),
                                           context: try HUDTestSupport.context())
        XCTAssertEqual(summary.frames, 6)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        XCTAssertGreaterThan((attributes[.size] as? Int) ?? 0, 1000)
        let header = try XCTUnwrap(FileManager.default.contents(atPath: path)).prefix(12)
        XCTAssertEqual(String(decoding: header.dropFirst(4).prefix(4), as: UTF8.self), "ftyp", "an MP4 file")
    }

    func testMissingFFmpegKeepsPNGsAndSaysSo() throws {
        let folder = try HUDTestSupport.temporaryDirectory(self)
        var warnings: [String] = []
        let output = try RecordingOutput.open(folder.appendingPathComponent("run.webm").path, size: small, fps: 30,
                                              ffmpeg: FFmpegLocation(explicit: "/nonexistent/ffmpeg")) { warnings.append($0) }
        XCTAssertEqual(output.destination, folder.appendingPathComponent("run-frames").path)
        XCTAssertEqual(warnings.count, 1)
        XCTAssertTrue(warnings[0].contains("ffmpeg not found"), warnings[0])
    }

    func testUnknownExtensionIsRefused() throws {
        XCTAssertThrowsError(try RecordingOutput.open("/tmp/run.gif", size: small, fps: 30)) { error in
            XCTAssertEqual(error as? HUDError, .badOutputName(path: "/tmp/run.gif"))
        }
    }

    func testBadScheduleIsRefused() throws {
        let folder = try HUDTestSupport.temporaryDirectory(self)
        let output = try PNGSequenceOutput(directory: folder.path)
        XCTAssertThrowsError(try HUDRecorder(renderer: try HUDTestSupport.renderer(), output: output,
                                             options: HUDRecorder.Options(size: small, fps: 0))) { error in
            XCTAssertEqual(error as? HUDError, .badSchedule(fps: 0.0, from: 0.0, to: nil))
        }
        XCTAssertThrowsError(try HUDRecorder(renderer: try HUDTestSupport.renderer(), output: output,
                                             options: HUDRecorder.Options(size: small, fps: 30, from: 5, to: 2))) { error in
            XCTAssertEqual(error as? HUDError, .badSchedule(fps: 30.0, from: 5.0, to: Optional(2.0)))
        }
    }
}

final class RecordingOutputNamingTests: XCTestCase {
    func testNamesPickTheOutputKind() throws {
        let folder = try HUDTestSupport.temporaryDirectory(self)
        let size = FrameSize(width: 64, height: 64)
        for name in ["frames", "frames-0.5", "take.2"] {
            let output = try RecordingOutput.open(folder.appendingPathComponent(name).path, size: size, fps: 30)
            XCTAssertTrue(output is PNGSequenceOutput, name)
        }
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("clips.mp4"), withIntermediateDirectories: true)
        XCTAssertTrue(try RecordingOutput.open(folder.appendingPathComponent("clips.mp4").path, size: size, fps: 30) is PNGSequenceOutput,
                      "an existing folder stays a folder whatever its name")
        XCTAssertThrowsError(try RecordingOutput.open(folder.appendingPathComponent("run.gif").path, size: size, fps: 30)) { error in
            XCTAssertEqual(error as? HUDError, .badOutputName(path: folder.appendingPathComponent("run.gif").path))
        }
    }
}
