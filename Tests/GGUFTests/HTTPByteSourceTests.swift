import Foundation
import XCTest
@testable import GGUF
import ModelServer

/// HTTPByteSource against our server, nginx and misbehaving servers.
final class HTTPByteSourceTests: XCTestCase {
    func startServer(_ files: [String]) throws -> ModelServer {
        let server = try ModelServer(files: files, host: "127.0.0.1", port: 0)
        try server.start()
        addTeardownBlock { server.stop() }
        return server
    }

    /// A GGUF of about 300 KiB from our writer, so reads span many chunks.
    func writeLargeModel() throws -> (path: String, data: [UInt8]) {
        let dir = try TestFiles.temporaryDirectory(for: self)
        let path = dir.appendingPathComponent("large.gguf").path
        let data = [UInt8].pattern(count: 34 * 9000, seed: 4)
        let writer = try GGUFWriter()
        writer.set("general.architecture", .string("gpt-oss"))
        writer.set("tokenizer.ggml.tokens", .array(GGUFArray(.string((0..<3000).map { "tok\($0)" }))))
        try writer.addTensor(name: "w", dimensions: [32 * 9000], type: .q8_0, data: data)
        try writer.write(to: path)
        return (path, data)
    }

    func checkSameAsFile(url: String, path: String, options: HTTPOptions) throws {
        let remote = try GGUFFile.open(url, options: GGUFOpenOptions(http: options))
        let local = try GGUFFile.open(path)
        XCTAssertEqual(remote.metadataKeys, local.metadataKeys)
        XCTAssertEqual(remote.metadata, local.metadata)
        XCTAssertEqual(remote.tensors, local.tensors)
        for tensor in local.tensors { XCTAssertEqual(try remote.tensorData(tensor), try local.tensorData(tensor), tensor.name) }
    }

    func testReadsThroughModelServer() throws {
        let (path, _) = try writeLargeModel()
        let fixture = TestFiles.fixture("tiny.gguf")
        let server = try startServer([path, fixture])
        let reports = ReportLog()
        try checkSameAsFile(url: server.baseURL + "/large.gguf", path: path, options: fastHTTPOptions(progress: reports.add))
        try checkSameAsFile(url: server.baseURL + "/tiny.gguf", path: fixture, options: fastHTTPOptions())
        XCTAssertFalse(reports.all.isEmpty, "progress reports arrive")
        XCTAssertTrue(reports.all.allSatisfy { $0.seconds >= 0 && $0.bytes > 0 })
    }

    func testSplitModelThroughModelServer() throws {
        let parts = (1...3).map { TestFiles.fixture("tiny-split-0000\($0)-of-00003.gguf") }
        let server = try startServer(parts)
        let remote = try GGUFFile.open(server.baseURL + "/tiny-split-00002-of-00003.gguf", options: GGUFOpenOptions(http: fastHTTPOptions()))
        let local = try GGUFFile.open(parts[0])
        XCTAssertEqual(remote.sources.count, 3)
        XCTAssertEqual(remote.tensors, local.tensors)
        for tensor in local.tensors { XCTAssertEqual(try remote.tensorData(tensor), try local.tensorData(tensor)) }
    }

    func testOpeningAURLFetchesOnlyTheHeader() throws {
        let dir = try TestFiles.temporaryDirectory(for: self)
        let path = dir.appendingPathComponent("big.gguf").path
        let writer = try GGUFWriter()
        writer.set("general.architecture", .string("x"))
        try writer.addTensor(name: "big", dimensions: [2 << 20], type: .f32) { emit in
            let zeros = [UInt8](repeating: 0, count: 1 << 20)
            for _ in 0..<8 { try zeros.withUnsafeBytes { try emit($0) } }
        }
        try writer.write(to: path)
        let server = try startServer([path])
        let file = try GGUFFile.open(server.baseURL + "/big.gguf")
        let source = try XCTUnwrap(file.sources[0] as? HTTPByteSource)
        XCTAssertEqual(source.size, 8 << 20 + file.dataOffsets[0])
        XCTAssertLessThan(source.totalBytesFetched, 512 << 10)
    }

    func testReadsThroughNginx() throws {
        let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let nginx else { throw XCTSkip("nginx is not installed (apt-get install nginx)") }
        let (path, _) = try writeLargeModel()
        let root = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let port = try freeLoopbackPort()
        let prefix = try TestFiles.temporaryDirectory(for: self).path
        let config = """
        daemon off;
        worker_processes 1;
        pid \(prefix)/nginx.pid;
        error_log \(prefix)/error.log;
        events { worker_connections 64; }
        http {
            access_log off;
            client_body_temp_path \(prefix)/body;
            proxy_temp_path \(prefix)/proxy;
            fastcgi_temp_path \(prefix)/fastcgi;
            uwsgi_temp_path \(prefix)/uwsgi;
            scgi_temp_path \(prefix)/scgi;
            default_type application/octet-stream;
            server { listen 127.0.0.1:\(port); root \(root); }
        }
        """
        try config.write(toFile: prefix + "/nginx.conf", atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: nginx)
        process.arguments = ["-p", prefix, "-c", prefix + "/nginx.conf"]
        process.standardError = FileHandle.nullDevice
        try process.run()
        addTeardownBlock { process.terminate(); process.waitUntilExit() }
        let deadline = Date().addingTimeInterval(5)
        while (try? rawHTTP(port: port, method: "HEAD", path: "/large.gguf"))?.status != 200 {
            guard Date() < deadline, process.isRunning else {
                let log = (try? String(contentsOfFile: prefix + "/error.log", encoding: .utf8)) ?? ""
                return XCTFail("nginx did not start: \(log)")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        try checkSameAsFile(url: "http://127.0.0.1:\(port)/large.gguf", path: path, options: fastHTTPOptions())
    }

    // MARK: - Faults

    func testResumesAfterDroppedConnection() throws {
        let (path, _) = try writeLargeModel()
        let content = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let server = try FaultServer(content: content, fault: .dropMidRange(threshold: 2000, times: 3))
        let reports = ReportLog()
        let file = try GGUFFile.open(server.url, options: GGUFOpenOptions(http: fastHTTPOptions(chunkSize: 1 << 20, progress: reports.add)))
        let local = try GGUFFile.open(path)
        XCTAssertEqual(try file.tensorData(file.tensors[0]), try local.tensorData(local.tensors[0]))
        XCTAssertEqual(reports.all.map(\.retries).reduce(0, +), 3, "each of the three drops was retried")
        // Resuming keeps the half that arrived; restarting would fetch the dropped halves again.
        let fetched = try XCTUnwrap(file.sources[0] as? HTTPByteSource).totalBytesFetched
        XCTAssertLessThan(fetched, UInt64(content.count + 100_000))
    }

    func testStalledRangeTimesOutAndResumes() throws {
        let (path, _) = try writeLargeModel()
        let content = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let server = try FaultServer(content: content, fault: .stallMidRange(threshold: 100_000, times: 1))
        let started = Date()
        let reports = ReportLog()
        let options = fastHTTPOptions(chunkSize: 1 << 20, stallTimeout: 0.5, progress: reports.add)
        let file = try GGUFFile.open(server.url, options: GGUFOpenOptions(http: options))
        let local = try GGUFFile.open(path)
        XCTAssertEqual(try file.tensorData(file.tensors[0]), try local.tensorData(local.tensors[0]))
        XCTAssertEqual(reports.all.map(\.retries).reduce(0, +), 1, "the stalled range was retried once")
        XCTAssertLessThan(Date().timeIntervalSince(started), 15, "a stall costs about the stall timeout, never a hang")
    }

    func testHostWithoutRangesGetsTheClearMessage() throws {
        let server = try FaultServer(content: [UInt8](repeating: 7, count: 10 << 20), fault: .ignoreRanges)
        let started = Date()
        let error = assertGGUFError(try GGUFFile.open(server.url, options: GGUFOpenOptions(http: fastHTTPOptions())), "200 reply") {
            if case .rangeNotSupported = $0 { return true }; return false
        }
        let message = error?.errorDescription ?? ""
        XCTAssertTrue(message.hasPrefix(server.url + ": the server ignored the Range request"), message)
        XCTAssertTrue(message.contains("Download the file") && message.contains("gptoss-gl serve"), message)
        XCTAssertEqual(server.requests, 1, "refused, not retried: a 200 would come again")
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
    }

    func testRetriesServiceUnavailable() throws {
        let content = try [UInt8](Data(contentsOf: URL(fileURLWithPath: TestFiles.fixture("tiny.gguf"))))
        let server = try FaultServer(content: content, fault: .unavailable(times: 2))
        let file = try GGUFFile.open(server.url, options: GGUFOpenOptions(http: fastHTTPOptions()))
        XCTAssertEqual(file.tensors.count, 6)
        XCTAssertGreaterThanOrEqual(server.requests, 3)
        let stubborn = try FaultServer(content: content, fault: .unavailable(times: 100))
        assertGGUFError(try GGUFFile.open(stubborn.url, options: GGUFOpenOptions(http: fastHTTPOptions(maxRetries: 2))), "gives up") {
            if case .http(_, let detail) = $0 { return detail.contains("503") && detail.contains("3 attempts") }; return false
        }
    }

    func testFollowsRedirects() throws {
        let content = try [UInt8](Data(contentsOf: URL(fileURLWithPath: TestFiles.fixture("tiny.gguf"))))
        let server = try FaultServer(content: content, fault: .redirect)
        let file = try GGUFFile.open(server.url, options: GGUFOpenOptions(http: fastHTTPOptions(chunkSize: 4096)))
        let local = try GGUFFile.open(TestFiles.fixture("tiny.gguf"))
        for tensor in local.tensors { XCTAssertEqual(try file.tensorData(tensor), try local.tensorData(tensor)) }
    }

    func testRangeLongerThanAskedIsAnError() throws {
        let (path, _) = try writeLargeModel()
        let content = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let server = try FaultServer(content: content, fault: .tooLong)
        assertGGUFError(try GGUFFile.open(server.url, options: GGUFOpenOptions(http: fastHTTPOptions())), "too long") {
            if case .rangeLength = $0 { return true }; return false
        }
    }

    func testUnreachableAndMissing() throws {
        let port = try freeLoopbackPort()
        assertGGUFError(try HTTPByteSource(url: "http://127.0.0.1:\(port)/x.gguf", options: fastHTTPOptions(maxRetries: 1)), "refused") {
            if case .http(_, let detail) = $0 { return detail.contains("gave up") }; return false
        }
        let server = try startServer([TestFiles.fixture("tiny.gguf")])
        assertGGUFError(try HTTPByteSource(url: server.baseURL + "/nope.gguf", options: fastHTTPOptions()), "404") {
            if case .http(_, let detail) = $0 { return detail.contains("404") }; return false
        }
    }
}

/// Collects progress reports from any thread.
final class ReportLog: @unchecked Sendable {
    private let lock = NSLock()
    private var reports: [HTTPReadReport] = []
    var all: [HTTPReadReport] { lock.withLock { reports } }
    func add(_ report: HTTPReadReport) { lock.withLock { reports.append(report) } }
}
