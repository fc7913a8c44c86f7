import XCTest
@testable import Telemetry

final class JSONLRoundTripTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("telemetry-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func testRecordedLogReadsBackIntoTheSameEvents() throws {
        let path = directory.appendingPathComponent("run.jsonl").path
        let recorder = try JSONLRecorder(path: path)
        JSONLReplayer.replay(SampleEvents.all, into: recorder)
        try recorder.finish()

        let back = try JSONLReplayer.read(path: path)
        XCTAssertEqual(back.count, SampleEvents.all.count)
        for (read, written) in zip(back, SampleEvents.all) {
            // NaN is never equal to itself; compare the token's entropy by its bits instead.
            if case .token(let a) = read.payload, case .token(let b) = written.payload {
                XCTAssertEqual(a.entropy.bitPattern, b.entropy.bitPattern)
                var a = a, b = b
                a.entropy = 0; b.entropy = 0
                XCTAssertEqual(a, b)
            } else {
                XCTAssertEqual(read, written)
            }
        }
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, SampleEvents.all.count, "one event a line")
    }

    func testBusStampsMonotonicTimesAndFeedsEverySink() throws {
        let first = EventCollector(), second = EventCollector()
        let bus = TelemetryBus(sinks: [first, second])
        for index in 0..<100 { bus.note("n\(index)") }
        try bus.finish()
        XCTAssertEqual(first.events, second.events)
        XCTAssertEqual(first.events.count, 100)
        let times = first.events.map(\.time)
        XCTAssertEqual(times, times.sorted())
        XCTAssertTrue(times.allSatisfy { $0 >= 0 && $0 < 60 })
    }

    func testMeasureReportsFailureAndRethrows() {
        struct Boom: LocalizedError { var errorDescription: String? { "disk on fire" } }
        let collector = EventCollector()
        let bus = TelemetryBus(sinks: [collector])
        XCTAssertThrowsError(try bus.measure(.gpuUpload) { bytes -> Int in
            bytes = 10
            throw Boom()
        }) { error in XCTAssertTrue(error is Boom, "\(error)") }
        let payloads = collector.events.map(\.payload)
        XCTAssertEqual(payloads.count, 3)
        guard case .stage(let failed) = payloads[1], case .error(let report) = payloads[2] else {
            return XCTFail("expected a failed stage and an error, got \(payloads)")
        }
        XCTAssertEqual(failed.status, .failed)
        XCTAssertEqual(failed.bytes, 10)
        XCTAssertEqual(failed.message, "disk on fire")
        XCTAssertEqual(report.stage, .gpuUpload)
    }

    func testUnwritableLogPathIsAClearError() {
        XCTAssertThrowsError(try JSONLRecorder(path: directory.appendingPathComponent("no/such/dir/run.jsonl").path)) { error in
            XCTAssertTrue((error as? LocalizedError)?.errorDescription?.contains("no/such/dir") ?? false)
        }
    }

    func testEmptyLogIsAnError() throws {
        let path = directory.appendingPathComponent("empty.jsonl").path
        try Data().write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try JSONLReplayer.read(path: path)) { error in
            XCTAssertEqual(error as? TelemetryError, .emptyLog(path: path))
        }
    }
}
