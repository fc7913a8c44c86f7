import Foundation
import XCTest
@testable import GGUF
import ModelServer

/// What `inspect` prints, on the gguf-py fixture, locally and by URL.
final class GGUFInspectionTests: XCTestCase {
    func testTextShowsMetadataTensorsAndTotals() throws {
        let file = try GGUFFile.open(TestFiles.fixture("tiny.gguf"))
        let text = GGUFInspection(file: file, arrayPreview: 2).text()
        XCTAssertTrue(text.contains("format: GGUF v3, 1 file"), text)
        XCTAssertTrue(text.contains("test.strings"), text)
        XCTAssertTrue(text.contains("[string × 4]"), text)
        XCTAssertTrue(text.contains("\"a\", \"Ġthe\", …"), text)
        XCTAssertTrue(text.contains("blk.0.ffn_gate_exps.weight  MXFP4"), text)
        XCTAssertTrue(text.contains("[64, 4, 2]"), text)
        XCTAssertTrue(text.contains("[1, 2], [3]"), "nested arrays keep their brackets: \(text)")
        XCTAssertTrue(text.contains("  18000000000000000000\n"), text)
        XCTAssertTrue(text.contains("tensors (6)"), text)
        XCTAssertFalse(text.contains("network:"), "no network line for a local file")
        let limited = GGUFInspection(file: file, tensorLimit: 2).text()
        XCTAssertTrue(limited.contains("… 4 more"), limited)
        XCTAssertFalse(limited.contains("blk.0.positions"), limited)
    }

    func testTotalsByType() throws {
        let file = try GGUFFile.open(TestFiles.fixture("tiny.gguf"))
        let totals = GGUFInspection(file: file).totalsByType
        XCTAssertEqual(totals.reduce(0) { $0 + $1.tensors }, 6)
        XCTAssertEqual(totals.first { $0.type == .mxfp4 }, .init(type: .mxfp4, tensors: 1, elements: 512, bytes: 272))
        XCTAssertEqual(totals.first?.type, .f16, "largest first")
    }

    func testJSONIsValidAndComplete() throws {
        let file = try GGUFFile.open(TestFiles.fixture("tiny.gguf"))
        let text = GGUFInspection(file: file, arrayPreview: 3).json().rendered()
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        XCTAssertEqual(object["version"] as? Int, 3)
        let tensors = try XCTUnwrap(object["tensors"] as? [[String: Any]])
        XCTAssertEqual(tensors.count, 6)
        XCTAssertEqual(tensors[4]["type"] as? String, "MXFP4")
        XCTAssertEqual(tensors[4]["shape"] as? [Int], [64, 4, 2])
        let metadata = try XCTUnwrap(object["metadata"] as? [[String: Any]])
        let strings = try XCTUnwrap(metadata.first { $0["key"] as? String == "test.strings" })
        XCTAssertEqual(strings["count"] as? Int, 4)
        XCTAssertEqual(strings["first"] as? [String], ["a", "Ġthe", "<|start|>"])
        let u64 = try XCTUnwrap(metadata.first { $0["key"] as? String == "test.u64" })
        XCTAssertTrue(text.contains("18000000000000000000"), "uint64 printed exactly")
        XCTAssertEqual(u64["type"] as? String, "uint64")
    }

    func testURLInspectionSaysWhatItFetched() throws {
        let server = try ModelServer(files: [TestFiles.fixture("tiny.gguf")], host: "127.0.0.1", port: 0)
        try server.start()
        defer { server.stop() }
        let file = try GGUFFile.open(server.baseURL + "/tiny.gguf", options: GGUFOpenOptions(http: fastHTTPOptions()))
        let summary = try XCTUnwrap(GGUFInspection(file: file).fetchSummary())
        XCTAssertTrue(summary.contains("HTTP range request"), summary)
        XCTAssertTrue(summary.contains("of 3.19 KiB"), summary)
    }

    func testJSONEscaping() {
        XCTAssertEqual(JSONText.object([("a\"b", .string("x\n\u{1}y")), ("n", .double(.nan))]).rendered(indent: nil),
                       "{\"a\\\"b\":\"x\\n\\u0001y\",\"n\":null}")
    }
}
