import Foundation
import LoopbackTestSupport
import XCTest
import ModelServer
@testable import GGUF

/// The serve command's HTTP behaviour, checked with raw requests.
final class ModelServerTests: XCTestCase {
    var server: ModelServer!
    var content: [UInt8] = []

    override func setUpWithError() throws {
        let dir = try TestFiles.temporaryDirectory(for: self)
        let path = dir.appendingPathComponent("model file.gguf").path
        content = [UInt8].pattern(count: 100_000, seed: 1)
        try Data(content).write(to: URL(fileURLWithPath: path))
        server = try ModelServer(files: [path], host: "127.0.0.1", port: 0)
        try server.start()
    }

    override func tearDown() { server.stop() }

    func testWholeFileAndHead() throws {
        let get = try rawHTTP(port: server.port, method: "GET", path: "/model%20file.gguf")
        XCTAssertEqual(get.status, 200)
        XCTAssertEqual(get.body, content)
        XCTAssertEqual(get.headers["content-length"], "100000")
        XCTAssertEqual(get.headers["accept-ranges"], "bytes")
        XCTAssertEqual(get.headers["access-control-allow-origin"], "*")
        XCTAssertTrue(get.headers["access-control-expose-headers"]?.contains("Content-Range") ?? false)
        let head = try rawHTTP(port: server.port, method: "HEAD", path: "/model%20file.gguf")
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.headers["content-length"], "100000")
        XCTAssertTrue(head.body.isEmpty)
    }

    func testRanges() throws {
        let cases: [(String, Int, Int)] = [("bytes=0-9", 0, 9), ("bytes=99990-", 99990, 99999), ("bytes=-5", 99995, 99999),
                                           ("bytes=50000-200000", 50000, 99999), ("bytes=5-5", 5, 5)]
        for (header, first, last) in cases {
            let r = try rawHTTP(port: server.port, method: "GET", path: "/model%20file.gguf", headers: ["Range": header])
            XCTAssertEqual(r.status, 206, header)
            XCTAssertEqual(r.headers["content-range"], "bytes \(first)-\(last)/100000", header)
            XCTAssertEqual(r.headers["content-length"], String(last - first + 1), header)
            XCTAssertEqual(r.body, Array(content[first...last]), header)
        }
        for header in ["bytes=100000-", "bytes=200000-300000", "bytes=-0"] {
            let r = try rawHTTP(port: server.port, method: "GET", path: "/model%20file.gguf", headers: ["Range": header])
            XCTAssertEqual(r.status, 416, header)
            XCTAssertEqual(r.headers["content-range"], "bytes */100000", header)
        }
        let ignored = try rawHTTP(port: server.port, method: "GET", path: "/model%20file.gguf", headers: ["Range": "lines=1-2"])
        XCTAssertEqual(ignored.status, 200)
    }

    func testPreflightUnknownPathsAndMethods() throws {
        let options = try rawHTTP(port: server.port, method: "OPTIONS", path: "/model%20file.gguf",
                                  headers: ["Origin": "http://example.com", "Access-Control-Request-Method": "GET",
                                            "Access-Control-Request-Headers": "range"])
        XCTAssertEqual(options.status, 204)
        XCTAssertEqual(options.headers["access-control-allow-origin"], "*")
        XCTAssertTrue(options.headers["access-control-allow-methods"]?.contains("GET") ?? false)
        XCTAssertEqual(options.headers["access-control-allow-headers"], "range")
        XCTAssertEqual(try rawHTTP(port: server.port, method: "GET", path: "/other.gguf").status, 404)
        XCTAssertEqual(try rawHTTP(port: server.port, method: "GET", path: "/../etc/passwd").status, 404)
        XCTAssertEqual(try rawHTTP(port: server.port, method: "POST", path: "/model%20file.gguf").status, 405)
        let index = try rawHTTP(port: server.port, method: "GET", path: "/")
        XCTAssertTrue(String(decoding: index.body, as: UTF8.self).contains("/model file.gguf"))
    }

    func testRangeHeaderParsing() {
        XCTAssertEqual(RangeRequest(header: nil, size: 10), .whole)
        XCTAssertEqual(RangeRequest(header: "bytes=0-0", size: 10), .partial(first: 0, last: 0))
        XCTAssertEqual(RangeRequest(header: "bytes=3-1", size: 10), .whole)
        XCTAssertEqual(RangeRequest(header: "bytes=0-1,3-4", size: 10), .whole)
        XCTAssertEqual(RangeRequest(header: "bytes=-20", size: 10), .partial(first: 0, last: 9))
        XCTAssertEqual(RangeRequest(header: "bytes=0-", size: 0), .unsatisfiable)
        XCTAssertEqual(RangeRequest(header: "bytes=x-", size: 10), .whole)
    }

    func testRejectsBadFileLists() {
        func assertRefused(_ files: [String], idleTimeout: Double = ModelServer.defaultIdleTimeout, _ expected: ModelServerError, line: UInt = #line) {
            XCTAssertThrowsError(try ModelServer(files: files, idleTimeout: idleTimeout), line: line) { error in
                XCTAssertEqual(error as? ModelServerError, expected, line: line)
            }
        }
        let tiny = TestFiles.fixture("tiny.gguf")
        assertRefused([], .noFiles)
        assertRefused(["/nonexistent/file.gguf"], .notAFile("/nonexistent/file.gguf"))
        assertRefused([tiny, tiny], .duplicateName("tiny.gguf", tiny, tiny))
        assertRefused([TestFiles.fixtures.path], .notAFile(TestFiles.fixtures.path))
        assertRefused(["/dev/null"], .notAFile("/dev/null"))
        assertRefused([tiny], idleTimeout: -1, .badIdleTimeout(-1))
    }

    func testFilesCarryValidatorsThatChangeWithTheFile() throws {
        let first = try rawHTTP(port: server.port, method: "GET", path: "/model%20file.gguf", headers: ["Range": "bytes=0-9"])
        let again = try rawHTTP(port: server.port, method: "HEAD", path: "/model%20file.gguf")
        let etag = try XCTUnwrap(first.headers["etag"])
        XCTAssertTrue(etag.hasPrefix("\"") && etag.hasSuffix("\""), etag)
        XCTAssertEqual(again.headers["etag"], etag)
        XCTAssertTrue(first.headers["last-modified"]?.hasSuffix(" GMT") ?? false, "\(first.headers)")
        XCTAssertTrue(first.headers["access-control-expose-headers"]?.contains("ETag") ?? false)
        // Same size, new bytes, new modification time: a new ETag.
        let path = try XCTUnwrap(server.routes["/model file.gguf"])
        try Data([UInt8].pattern(count: 100_000, seed: 2)).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_000_000)], ofItemAtPath: path)
        let replaced = try rawHTTP(port: server.port, method: "HEAD", path: "/model%20file.gguf")
        XCTAssertNotEqual(replaced.headers["etag"], etag)
        XCTAssertEqual(replaced.headers["last-modified"], "Mon, 12 Jan 1970 13:46:40 GMT")
    }
}

/// `serve` closes connections that sit idle or half-open, after a configurable timeout.
final class ModelServerIdleTests: XCTestCase {
    /// A connected socket that has sent `text`.
    func connect(port: Int, sending text: String = "") throws -> LoopbackSocket {
        let socket = try LoopbackSocket(port: port)
        if !text.isEmpty { socket.send(text) }
        return socket
    }

    func startServer(idleTimeout: Double) throws -> ModelServer {
        let server = try ModelServer(files: [TestFiles.fixture("tiny.gguf")], host: "127.0.0.1", port: 0, idleTimeout: idleTimeout)
        try server.start()
        addTeardownBlock { server.stop() }
        return server
    }

    func testIdleHalfOpenAndKeptAliveConnectionsAreClosed() throws {
        let server = try startServer(idleTimeout: 0.3)
        let idle = try connect(port: server.port)
        let halfOpen = try connect(port: server.port, sending: "GET /tiny.gguf HTTP/1.1\r\nHost: 127.0")
        let keptAlive = try connect(port: server.port, sending: "GET /tiny.gguf HTTP/1.1\r\nHost: x\r\nRange: bytes=0-3\r\n\r\n")
        let started = Date()
        for (name, socket) in [("idle", idle), ("half-open", halfOpen), ("kept alive", keptAlive)] {
            XCTAssertTrue(socket.closedByPeer(within: 3), "\(name) connection still open")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 3)
    }

    func testZeroKeepsConnectionsOpen() throws {
        let server = try startServer(idleTimeout: 0)
        let idle = try connect(port: server.port)
        XCTAssertFalse(idle.closedByPeer(within: 0.8))
    }
}
