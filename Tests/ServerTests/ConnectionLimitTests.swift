import Foundation
@testable import Server
import LoopbackTestSupport
import XCTest

/// `--max-connections`: past the cap a new connection gets 503 in OpenAI's error shape and is
/// closed, the connections already open keep working, and a place frees when one closes.
final class ConnectionLimitTests: XCTestCase {
    func testConnectionsPastTheLimitAreAnswered503AndClosed() async throws {
        let server = try await TestServer(engine: ScriptedEngine(script: [1]), maxConnections: 2)
        let port = try XCTUnwrap(Int(server.url.split(separator: ":").last ?? ""))
        // Two idle connections take both places.
        var held = [try LoopbackSocket(port: port), try LoopbackSocket(port: port)]
        try await waitUntil { server.server.connections.snapshot.open == 2 }

        let refused = try LoopbackSocket(port: port)
        refused.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        let answer = refused.readUntilClosed(within: 5)
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 503"), answer)
        XCTAssertTrue(answer.lowercased().contains("connection: close"), answer)
        XCTAssertTrue(answer.contains(#""code":"too_many_connections""#) && answer.contains("--max-connections"), answer)
        XCTAssertEqual(server.server.connections.snapshot.refused, 1)

        // A place frees when a held connection closes; then requests are served again.
        held.removeFirst().close(reset: false)
        try await waitUntil { server.server.connections.snapshot.open < 2 }
        let health = try await server.send("/health", method: "GET")
        XCTAssertEqual(health.status, 200)
        let metrics = try await server.send("/metrics", method: "GET")
        XCTAssertTrue(metrics.body.contains("gptoss_http_connections_refused_total 1"), metrics.body)
        XCTAssertTrue(metrics.body.contains("gptoss_http_connections "), metrics.body)
        held.removeAll()
        await server.stop()
    }

    func testZeroMeansNoLimit() async throws {
        let server = try await TestServer(engine: ScriptedEngine(script: [1]), maxConnections: 0)
        let port = try XCTUnwrap(Int(server.url.split(separator: ":").last ?? ""))
        let held = try (0 ..< 8).map { _ in try LoopbackSocket(port: port) }
        try await waitUntil { server.server.connections.snapshot.open == 8 }
        let health = try await server.send("/health", method: "GET")
        XCTAssertEqual(health.status, 200)
        XCTAssertEqual(server.server.connections.snapshot.refused, 0)
        _ = held
        await server.stop()
    }

    private func waitUntil(_ condition: @escaping () -> Bool, seconds: Double = 5) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            guard Date() < deadline else { return XCTFail("timed out waiting for the server's connection count") }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
    }
}
