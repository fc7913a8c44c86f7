import Foundation
#if canImport(Glibc)
import Glibc
#endif
import GPTOSS
@testable import Server
import LoopbackTestSupport
import XCTest

/// Clients that go away or stall (what scripts/soak_server.py's hostile clients do): a request
/// whose client left is cancelled even though nothing was written to it yet, and a connection
/// that stops mid-request is closed by the idle timeout, while a slow answer is not.
final class ClientLeavesTests: XCTestCase {
    static let slowScript = Fixture.ids("<|channel|>final<|message|>") + Array(repeating: Fixture.tokenizer.encode(" la")[0], count: 400)

    private func request(_ body: String) -> String {
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
    }

    /// A non-streamed answer writes nothing until it is done, so only the connection tells that
    /// its client left: before the fix the engine decoded all 400 tokens (8 s) for nobody.
    private func assertCancelledWhenClientLeaves(reset: Bool) async throws {
        let engine = ScriptedEngine(script: Self.slowScript)
        engine.tokenDelay = 0.02
        let server = try await TestServer(engine: engine)
        let port = try XCTUnwrap(Int(server.url.split(separator: ":").last ?? ""))
        let socket = try LoopbackSocket(port: port)
        socket.send(request(#"{"messages": [{"role": "user", "content": "sing"}], "max_tokens": 400}"#))
        let submitted = Date().addingTimeInterval(5)
        while engine.requests.isEmpty && Date() < submitted { try await Task.sleep(nanoseconds: 10_000_000) }
        XCTAssertEqual(engine.requests.count, 1, "the request did not reach the engine")
        socket.close(reset: reset)
        let deadline = Date().addingTimeInterval(3)
        while engine.terminations.isEmpty && Date() < deadline { try await Task.sleep(nanoseconds: 20_000_000) }
        XCTAssertEqual(engine.terminations.count, 1, "the engine's stream was not released within 3 s of the client leaving")
        if case .cancelled? = engine.terminations.first {} else { XCTFail("the stream was not cancelled: \(engine.terminations)") }
        let metrics = try await server.send("/metrics", method: "GET").body
        XCTAssertTrue(metrics.contains(#"gptoss_http_requests_total{endpoint="/v1/chat/completions",status="499"} 1"#), metrics)
        await server.stop()
    }

    func testNonStreamedRequestIsCancelledWhenTheClientCloses() async throws {
        try await assertCancelledWhenClientLeaves(reset: false)
    }

    func testNonStreamedRequestIsCancelledWhenTheClientResets() async throws {
        try await assertCancelledWhenClientLeaves(reset: true)
    }

    /// Headers never finished: the server closes the connection once it has been idle 1 s.
    func testIdleTimeoutClosesAHalfOpenConnection() async throws {
        let server = try await TestServer(engine: ScriptedEngine(script: [1]), idleTimeoutSeconds: 1)
        let port = try XCTUnwrap(Int(server.url.split(separator: ":").last ?? ""))
        for opening in ["POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Ty",
                        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"messages\": "] {
            let socket = try LoopbackSocket(port: port)
            socket.send(opening)
            let started = Date()
            XCTAssertTrue(socket.closedByPeer(within: 5), "a half-open connection was still open after 5 s: \(opening)")
            XCTAssertGreaterThan(Date().timeIntervalSince(started), 0.5, "closed before the idle timeout")
            socket.close(reset: false)
        }
        await server.stop()
    }

    /// An answer that takes longer than the idle timeout (the connection sends nothing while it
    /// is generated) is not cut off.
    func testIdleTimeoutSparesASlowAnswer() async throws {
        let engine = ScriptedEngine(script: Array(Self.slowScript.prefix(40)))
        engine.tokenDelay = 0.05
        let server = try await TestServer(engine: engine, idleTimeoutSeconds: 1)
        let plain = try await server.send("/v1/chat/completions", body: #"{"messages": [{"role": "user", "content": "sing"}]}"#)
        XCTAssertEqual(plain.status, 200, plain.body)
        let streamed = try await server.send("/v1/chat/completions",
                                             body: #"{"messages": [{"role": "user", "content": "sing"}], "stream": true}"#)
        XCTAssertTrue(TestServer.events(streamed.body).done, streamed.body)
        await server.stop()
    }
}
