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
        XCTAssertTrue(summary.contains("of 3.12 KiB"), summary)
    }

    func testJSONEscaping() {
        XCTAssertEqual(JSONText.object([("a\"b", .string("x\n\u{1}y")), ("n", .double(.nan))]).rendered(indent: nil),
                       "{\"a\\\"b\":\"x\\n\\u0001y\",\"n\":null}")
    }
}

/// Keys, names and values from a hostile file never reach the terminal as control sequences.
final class GGUFInspectionEscapingTests: XCTestCase {
    func testKeysNamesAndValuesAreEscaped() throws {
        let writer = try GGUFWriter()
        writer.set("evil\u{1b}]0;pwned\u{7}.key\nnext", .string("v\u{1b}[2J\u{9b}31m\u{202e}"))
        try writer.addTensor(name: "t\u{1b}[31mred\r", dimensions: [1], type: .f32, data: [0, 0, 0, 0])
        let path = try TestFiles.temporaryDirectory(for: self).appendingPathComponent("evil.gguf").path
        try writer.write(to: path)
        let text = GGUFInspection(file: try GGUFFile.open(path)).text()
        for unsafe in ["\u{1b}", "\u{7}", "\r", "\u{9b}", "\u{202e}"] {
            XCTAssertFalse(text.contains(unsafe), "raw \(unsafe.unicodeScalars.first!.value) printed: \(text.debugDescription)")
        }
        XCTAssertTrue(text.contains("evil\\u001b]0;pwned\\u0007.key\\nnext"), text)
        XCTAssertTrue(text.contains("t\\u001b[31mred\\r"), text)
        XCTAssertTrue(text.contains("\"v\\u001b[2J\\u009b31m\\u202e\""), text)
        XCTAssertEqual(text.components(separatedBy: "\n").filter { $0.contains("next") }.count, 1, "a newline in a key must not start a line")
    }

    func testErrorMessagesEscapeWhatTheFileSays() {
        let error = GGUFError.duplicateTensor(source: "f.gguf", tensor: "x\u{1b}[2Jy\n", offset: 7)
        let message = error.errorDescription ?? ""
        XCTAssertFalse(message.contains("\u{1b}") || message.contains("\n"), message)
        XCTAssertTrue(message.contains("x\\u001b[2Jy\\n"), message)
    }
}
