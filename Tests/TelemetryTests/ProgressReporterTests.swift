import XCTest
@testable import Telemetry

final class ProgressReporterTests: XCTestCase {
    /// Four tensors of 256 MiB fetched one per second: at the second one, 50 % and 256 MiB/s.
    private func loadEvents() -> [TelemetryEvent] {
        let mib256 = 256 << 20
        var events = [
            TelemetryEvent(time: 0, .loadPlan(LoadPlan(tensorCount: 4, totalBytes: 4 * mib256))),
            TelemetryEvent(time: 0, .stage(StageChange(stage: .weightsFetch, status: .started))),
        ]
        for index in 0..<4 {
            events.append(TelemetryEvent(time: Double(index + 1), .tensorFetched(TensorTransfer(
                name: "blk.\(index).attn_q.weight", type: "q8_0", shape: [2880, 4096], bytes: mib256, ms: 1000))))
        }
        events.append(TelemetryEvent(time: 4.5, .stage(StageChange(stage: .weightsFetch, status: .completed, bytes: 4 * mib256, durationMs: 4500))))
        return events
    }

    private func run(_ style: ProgressReporter.Style, _ events: [TelemetryEvent], showsDecodeLine: Bool = true) throws -> String {
        var output = ""
        let reporter = ProgressReporter(style: style, showsDecodeLine: showsDecodeLine) { output += $0 }
        JSONLReplayer.replay(events, into: reporter)
        try reporter.finish()
        return output
    }

    func testLinesShowPercentRateEtaAndTensor() throws {
        let output = try run(.lines, loadEvents())
        let lines = output.split(separator: "\n").map(String.init)
        // Lines come at most every 2 s of event time: tensors 1 and 3, then the stage.
        XCTAssertEqual(lines.count, 3, output)
        XCTAssertTrue(lines[0].contains(" 25.0%"), lines[0])
        XCTAssertTrue(lines[1].contains(" 75.0%"), lines[1])
        XCTAssertTrue(lines[1].contains("768 MiB / 1.00 GiB"), lines[1])
        XCTAssertTrue(lines[1].contains("256 MiB/s"), lines[1])
        XCTAssertTrue(lines[1].contains("ETA 0:01"), lines[1])
        XCTAssertTrue(lines[1].hasSuffix("blk.2.attn_q.weight"), lines[1])
        XCTAssertTrue(lines[2].hasPrefix("done  weights_fetch  4.50 s"), lines[2])
    }

    func testInteractiveRedrawsInPlaceAndEndsTheLine() throws {
        let output = try run(.interactive, loadEvents())
        XCTAssertEqual(output.components(separatedBy: "\r\u{1B}[2K").count - 1, 5, "4 redraws + clearing before the stage line")
        XCTAssertTrue(output.hasSuffix("\n"))
    }

    func testJSONLinesAreParseable() throws {
        let output = try run(.json, loadEvents())
        let objects = try output.split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        XCTAssertEqual(objects.first?["event"] as? String, "progress")
        XCTAssertEqual(objects.first?["fraction"] as? Double, 0.25)
        XCTAssertEqual(objects.last?["event"] as? String, "stage")
        XCTAssertEqual(objects.last?["status"] as? String, "completed")
    }

    func testQuietPrintsNothing() throws {
        XCTAssertEqual(try run(.quiet, loadEvents()), "")
    }

    func testDecodeLineCountsTokensAndShowsRate() throws {
        var events = [TelemetryEvent(time: 0, .stage(StageChange(stage: .decode, status: .started)))]
        for index in 0..<10 {
            let time = Double(index) * 0.5
            events.append(TelemetryEvent(time: time, .throughput(Throughput(stage: .decode, tokens: index, tokensPerSecond: 2))))
            events.append(TelemetryEvent(time: time, .token(TokenSample(position: index, id: index, text: "x", channel: .final, top: [], entropy: 1))))
        }
        let lines = try run(.lines, events).split(separator: "\n")
        XCTAssertEqual(lines.last, "decode  9 tokens  2.0 tok/s")
        events.append(TelemetryEvent(time: 5, .stage(StageChange(stage: .decode, status: .completed, durationMs: 4500))))
        XCTAssertEqual(try run(.lines, events, showsDecodeLine: false), "done  decode  4.50 s\n")
    }

    func testByteCountsUseBinaryUnits() {
        XCTAssertEqual(ByteCount.format(512), "512 B")
        XCTAssertEqual(ByteCount.format(1536), "1.50 KiB")
        XCTAssertEqual(ByteCount.format(12_109_566_560), "11.3 GiB")
    }
}
