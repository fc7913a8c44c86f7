import Foundation
import XCTest
@testable import GGUF

/// Servers that would fool a naive reader: a file replaced while it is read, a redirect loop,
/// a server that trickles. Each is refused with its own error, quickly.
final class HTTPHostileServerTests: XCTestCase {
    /// tiny.gguf, and a same-size replacement whose tensor bytes differ.
    func fixtureAndReplacement() throws -> ([UInt8], [UInt8]) {
        let content = try [UInt8](Data(contentsOf: URL(fileURLWithPath: TestFiles.fixture("tiny.gguf"))))
        var replacement = content
        for i in 1000..<replacement.count { replacement[i] ^= 0x5A }
        return (content, replacement)
    }

    func assertSwapIsRefused(_ validators: FaultServer.Validators, replacement: [UInt8], mentions: String,
                             file: StaticString = #filePath, line: UInt = #line) throws {
        let (content, _) = try fixtureAndReplacement()
        let server = try FaultServer(content: content, fault: .swap(replacement: replacement, validators: validators))
        let opened = try GGUFFile.open(server.url, options: GGUFOpenOptions(http: fastHTTPOptions()))
        server.swapFile()
        let error = assertGGUFError(try opened.tensorData(opened.tensors[0]), "swapped (\(validators))", file: file, line: line) {
            if case .remoteFileChanged(_, let detail) = $0 { return detail.contains(mentions) }; return false
        }
        XCTAssertTrue(error?.errorDescription?.contains("changed on the server") ?? false, file: file, line: line)
    }

    func testSameSizeFileSwappedBetweenRequestsIsRefusedByETag() throws {
        let (_, replacement) = try fixtureAndReplacement()
        try assertSwapIsRefused(.etag, replacement: replacement, mentions: "ETag \"v1\" at first, now \"v2\"")
    }

    func testSameSizeFileSwappedBetweenRequestsIsRefusedByLastModified() throws {
        let (_, replacement) = try fixtureAndReplacement()
        try assertSwapIsRefused(.lastModified, replacement: replacement, mentions: "Last-Modified")
    }

    func testFileOfAnotherSizeIsRefusedWithoutValidators() throws {
        let (content, _) = try fixtureAndReplacement()
        try assertSwapIsRefused(.none, replacement: content + [UInt8](repeating: 0, count: 64), mentions: "size")
    }

    func testUnchangedFileWithValidatorsReadsNormally() throws {
        let (content, replacement) = try fixtureAndReplacement()
        let server = try FaultServer(content: content, fault: .swap(replacement: replacement, validators: .etag))
        let remote = try GGUFFile.open(server.url, options: GGUFOpenOptions(http: fastHTTPOptions()))
        let local = try GGUFFile.open(TestFiles.fixture("tiny.gguf"))
        for (r, l) in zip(remote.tensors, local.tensors) { XCTAssertEqual(try remote.tensorData(r), try local.tensorData(l)) }
    }

    func testRedirectLoopIsRefusedAfterTheLimit() throws {
        let server = try FaultServer(content: [UInt8](repeating: 1, count: 100), fault: .redirectLoop)
        let started = Date()
        let error = assertGGUFError(try GGUFFile.open(server.url, options: GGUFOpenOptions(http: fastHTTPOptions(maxRedirects: 5))),
                                    "redirect loop") { if case .tooManyRedirects(_, 5) = $0 { return true }; return false }
        XCTAssertTrue(error?.errorDescription?.contains("more than 5 redirects") ?? false)
        XCTAssertEqual(server.requests, 6, "the first request and five redirects, no retries")
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
    }

    func testRedirectToAnotherSchemeIsRefused() throws {
        let local = try TestFiles.temporaryDirectory(for: self).appendingPathComponent("secret.gguf")
        try Data(try [UInt8](Data(contentsOf: URL(fileURLWithPath: TestFiles.fixture("tiny.gguf"))))).write(to: local)
        let server = try FaultServer(content: [UInt8](repeating: 1, count: 100), fault: .redirectTo(location: "file://" + local.path))
        assertGGUFError(try GGUFFile.open(server.url, options: GGUFOpenOptions(http: fastHTTPOptions())), "file:// redirect") {
            if case .http(_, let detail) = $0 { return detail.contains("only http and https") }; return false
        }
    }

    func testTricklingServerHitsTheLowSpeedLimit() throws {
        let (content, _) = try fixtureAndReplacement()
        // 32 bytes every 50 ms is 640 bytes/s, under a 4096 bytes/s limit over 0.5 s windows; it
        // never stalls (bytes keep coming), so only the low-speed limit can end it.
        let server = try FaultServer(content: content, fault: .trickle(bytes: 32, interval: 0.05))
        let options = fastHTTPOptions(stallTimeout: 2, lowSpeedLimit: 4096, lowSpeedTime: 0.5)
        let started = Date()
        let error = assertGGUFError(try GGUFFile.open(server.url, options: GGUFOpenOptions(http: options)), "trickle") {
            if case .tooSlow(_, let bytes, let seconds, 4096) = $0 { return bytes < 2048 && seconds >= 0.5 }; return false
        }
        XCTAssertTrue(error?.errorDescription?.contains("GPTOSS_GL_HTTP_LOW_SPEED") ?? false)
        XCTAssertEqual(server.requests, 1, "too slow is not retried")
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
        // The same limit does not disturb a server that keeps up.
        let fast = try FaultServer(content: content, fault: .none)
        XCTAssertEqual(try GGUFFile.open(fast.url, options: GGUFOpenOptions(http: options)).tensors.count, 6)
    }

    /// Silence is a stall (retried, resuming), not a trickle: with the low-speed limit on, a range
    /// that stops half-way still completes.
    func testSilentServerIsAStallNotTooSlow() throws {
        let dir = try TestFiles.temporaryDirectory(for: self)
        let path = dir.appendingPathComponent("large.gguf").path
        let writer = try GGUFWriter()
        writer.set("general.architecture", .string("gpt-oss"))
        try writer.addTensor(name: "w", dimensions: [32 * 9000], type: .q8_0, data: [UInt8].pattern(count: 34 * 9000, seed: 4))
        try writer.write(to: path)
        let content = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let server = try FaultServer(content: content, fault: .stallMidRange(threshold: 100_000, times: 1))
        let options = fastHTTPOptions(chunkSize: 1 << 20, stallTimeout: 0.6, lowSpeedLimit: 4096, lowSpeedTime: 0.25)
        let file = try GGUFFile.open(server.url, options: GGUFOpenOptions(http: options))
        XCTAssertEqual(try file.tensorData(file.tensors[0]), try GGUFFile.open(path).tensorData(file.tensors[0]))
    }

    func testLowSpeedSettingParses() {
        XCTAssertEqual(HTTPOptions.parseLowSpeed("2048:10")?.limit, 2048)
        XCTAssertEqual(HTTPOptions.parseLowSpeed("2048:10")?.seconds, 10)
        XCTAssertEqual(HTTPOptions.parseLowSpeed("0")?.limit, 0)
        for bad in ["", "fast", "1024", "1024:0", "-1:5", "1024:inf", "1:2:3"] { XCTAssertNil(HTTPOptions.parseLowSpeed(bad), bad) }
        XCTAssertEqual(HTTPOptions().lowSpeedLimit, HTTPOptions.defaultLowSpeed.limit, "no environment is read")
    }
}
