import Foundation
#if canImport(Glibc)
import Glibc
#endif
import GPTOSS
@testable import Server
import Tokenizer
import LoopbackTestSupport
import XCTest

/// The HTTP API end to end on a real socket, over a scripted engine: response shapes, SSE
/// framing, error statuses and shapes, auth, limits, disconnects and metrics.
final class ServerHTTPTests: XCTestCase {
    static let reasoningAndAnswer = "<|channel|>analysis<|message|>The user greets.<|end|><|start|>assistant<|channel|>final<|message|>Good morrow, friend!<|return|>"
    static let toolCall = "<|channel|>analysis<|message|>Look it up.<|end|><|start|>assistant<|channel|>commentary to=functions.define <|constrain|>json<|message|>{\"word\": \"anon\"}<|call|>"
    static let chatBody = #"{"model": "test-model", "messages": [{"role": "user", "content": "Hello"}], "temperature": 0}"#

    private func withServer(_ engine: ScriptedEngine, apiKey: String? = nil, maxBodyBytes: Int = 4 << 20,
                            _ body: (TestServer) async throws -> Void) async throws {
        let server = try await TestServer(engine: engine, apiKey: apiKey, maxBodyBytes: maxBodyBytes)
        do {
            try await body(server)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    private func assertError(_ reply: TestServer.Reply, status: Int, type: String, code: String?,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(reply.status, status, reply.body, file: file, line: line)
        XCTAssertEqual(reply.headers["content-type"], "application/json", file: file, line: line)
        let error = reply.error
        XCTAssertEqual(Set(error.keys), ["message", "type", "param", "code"], reply.body, file: file, line: line)
        XCTAssertEqual(error["type"] as? String, type, file: file, line: line)
        XCTAssertEqual(error["code"] as? String, code, file: file, line: line)
        XCTAssertFalse((error["message"] as? String ?? "").isEmpty, file: file, line: line)
    }

    func testChatCompletionShapeAndUsage() async throws {
        let engine = ScriptedEngine(script: Fixture.ids(Self.reasoningAndAnswer))
        try await withServer(engine) { server in
            let reply = try await server.send("/v1/chat/completions", body: Self.chatBody)
            XCTAssertEqual(reply.status, 200, reply.body)
            let json = reply.json
            XCTAssertEqual(json["object"] as? String, "chat.completion")
            XCTAssertEqual(json["model"] as? String, "test-model")
            XCTAssertTrue((json["id"] as? String ?? "").hasPrefix("chatcmpl-"))
            let choice = try XCTUnwrap((json["choices"] as? [[String: Any]])?.first)
            XCTAssertEqual(choice["finish_reason"] as? String, "stop")
            let message = try XCTUnwrap(choice["message"] as? [String: Any])
            XCTAssertEqual(message["role"] as? String, "assistant")
            XCTAssertEqual(message["content"] as? String, "Good morrow, friend!")
            XCTAssertEqual(message["reasoning_content"] as? String, "The user greets.")
            let usage = try XCTUnwrap(json["usage"] as? [String: Int])
            let request = try XCTUnwrap(engine.requests.first)
            XCTAssertEqual(usage["prompt_tokens"], request.prompt.count)
            XCTAssertEqual(usage["completion_tokens"], Fixture.ids(Self.reasoningAndAnswer).count)
            XCTAssertEqual(usage["total_tokens"], request.prompt.count + Fixture.ids(Self.reasoningAndAnswer).count)
            // The engine got the rendered Harmony prompt, greedy sampling and Harmony's stop tokens.
            let prompt = try Fixture.tokenizer.decode(request.prompt)
            XCTAssertTrue(prompt.hasSuffix("<|start|>user<|message|>Hello<|end|><|start|>assistant"), prompt)
            XCTAssertTrue(request.sampling.isGreedy)
            XCTAssertEqual(request.stopTokens, try HarmonyControlTokens(tokenizer: Fixture.tokenizer).stopTokens)
        }
    }

    func testStreamedChunksReassembleToTheAnswer() async throws {
        let engine = ScriptedEngine(script: Fixture.ids(Self.reasoningAndAnswer))
        try await withServer(engine) { server in
            let body = #"{"messages": [{"role": "user", "content": "Hello"}], "stream": true, "stream_options": {"include_usage": true}}"#
            let reply = try await server.send("/v1/chat/completions", body: body)
            XCTAssertEqual(reply.status, 200)
            XCTAssertEqual(reply.headers["content-type"], "text/event-stream")
            XCTAssertTrue(reply.body.hasSuffix("data: [DONE]\n\n"))
            let (chunks, done) = TestServer.events(reply.body)
            XCTAssertTrue(done)
            let withChoices = chunks.filter { !($0["choices"] as? [Any] ?? []).isEmpty }
            let deltas = withChoices.compactMap { (($0["choices"] as? [[String: Any]])?.first?["delta"]) as? [String: Any] }
            XCTAssertEqual(deltas.first?["role"] as? String, "assistant")
            XCTAssertEqual(deltas.compactMap { $0["content"] as? String }.joined(), "Good morrow, friend!")
            XCTAssertEqual(deltas.compactMap { $0["reasoning_content"] as? String }.joined(), "The user greets.")
            let reasons = withChoices.map { (($0["choices"] as? [[String: Any]])?.first?["finish_reason"]) as? String }
            XCTAssertEqual(reasons.compactMap { $0 }, ["stop"])
            XCTAssertEqual(reasons.last, "stop")
            XCTAssertTrue(chunks.allSatisfy { $0["object"] as? String == "chat.completion.chunk" })
            XCTAssertEqual(Set(chunks.compactMap { $0["id"] as? String }).count, 1)
            let usage = try XCTUnwrap(chunks.last?["usage"] as? [String: Int])
            XCTAssertEqual(usage["completion_tokens"], Fixture.ids(Self.reasoningAndAnswer).count)
        }
    }

    func testToolCallAnswers() async throws {
        let engine = ScriptedEngine(script: Fixture.ids(Self.toolCall))
        let tools = #""tools": [{"type": "function", "function": {"name": "define", "parameters": {"type": "object", "properties": {"word": {"type": "string"}}}}}]"#
        try await withServer(engine) { server in
            let reply = try await server.send("/v1/chat/completions", body: #"{"messages": [{"role": "user", "content": "anon?"}], \#(tools)}"#)
            let choice = try XCTUnwrap((reply.json["choices"] as? [[String: Any]])?.first)
            XCTAssertEqual(choice["finish_reason"] as? String, "tool_calls")
            let message = try XCTUnwrap(choice["message"] as? [String: Any])
            XCTAssertTrue(message["content"] is NSNull)
            let call = try XCTUnwrap((message["tool_calls"] as? [[String: Any]])?.first)
            XCTAssertEqual(call["type"] as? String, "function")
            XCTAssertTrue((call["id"] as? String ?? "").hasPrefix("call_"))
            let function = try XCTUnwrap(call["function"] as? [String: String])
            XCTAssertEqual(function["name"], "define")
            XCTAssertEqual(function["arguments"], "{\"word\": \"anon\"}")

            let streamed = try await server.send("/v1/chat/completions",
                                                 body: #"{"messages": [{"role": "user", "content": "anon?"}], "stream": true, \#(tools)}"#)
            let (chunks, done) = TestServer.events(streamed.body)
            XCTAssertTrue(done)
            let pieces = chunks.flatMap { ((($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])?["tool_calls"] as? [[String: Any]]) ?? [] }
            XCTAssertEqual(pieces.compactMap { ($0["function"] as? [String: Any])?["name"] as? String }, ["define"])
            XCTAssertEqual(pieces.compactMap { $0["id"] as? String }.count, 1)
            XCTAssertEqual(pieces.compactMap { ($0["function"] as? [String: Any])?["arguments"] as? String }.joined(), "{\"word\": \"anon\"}")
            let last = chunks.last.flatMap { ($0["choices"] as? [[String: Any]])?.first }
            XCTAssertEqual(last?["finish_reason"] as? String, "tool_calls")
        }
    }

    func testErrorStatusesAndShapes() async throws {
        let engine = ScriptedEngine(script: Fixture.ids("<|channel|>final<|message|>ok<|return|>"), context: 200)
        try await withServer(engine, maxBodyBytes: 2048) { server in
            assertError(try await server.send("/v1/chat/completions", body: "{not json"), status: 400, type: "invalid_request_error", code: "invalid_json")
            let missing = try await server.send("/v1/chat/completions", body: "{}")
            assertError(missing, status: 400, type: "invalid_request_error", code: nil)
            XCTAssertEqual(missing.error["param"] as? String, "messages")
            let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
            assertError(try await server.send("/v1/chat/completions", body: deep), status: 400, type: "invalid_request_error", code: "json_too_deep")
            let big = #"{"messages": [{"role": "user", "content": ""# + String(repeating: "a", count: 4000) + #""}]}"#
            assertError(try await server.send("/v1/chat/completions", body: big), status: 413, type: "invalid_request_error", code: "request_too_large")
            let long = #"{"messages": [{"role": "user", "content": ""# + String(repeating: "word ", count: 300) + #""}]}"#
            let tooLong = try await server.send("/v1/chat/completions", body: long)
            assertError(tooLong, status: 400, type: "invalid_request_error", code: "context_length_exceeded")
            assertError(try await server.send("/v1/nothing", method: "GET"), status: 404, type: "invalid_request_error", code: "not_found")
            assertError(try await server.send("/v1/completions", body: #"{"prompt": [1, -4]}"#), status: 400, type: "invalid_request_error", code: nil)

            engine.refusal = .queueFull(capacity: 2)
            assertError(try await server.send("/v1/chat/completions", body: Self.chatBody), status: 429, type: "rate_limit_error", code: "queue_full")
            engine.refusal = .shuttingDown
            assertError(try await server.send("/v1/chat/completions", body: Self.chatBody), status: 503, type: "server_error", code: "shutting_down")
        }
    }

    func testAPIKey() async throws {
        let engine = ScriptedEngine(script: Fixture.ids("<|channel|>final<|message|>ok<|return|>"))
        try await withServer(engine, apiKey: "sesame") { server in
            assertError(try await server.send("/v1/chat/completions", body: Self.chatBody), status: 401,
                        type: "invalid_request_error", code: "invalid_api_key")
            assertError(try await server.send("/v1/models", method: "GET", headers: ["Authorization": "Bearer wrong"]), status: 401,
                        type: "invalid_request_error", code: "invalid_api_key")
            let models = try await server.send("/v1/models", method: "GET", headers: ["Authorization": "Bearer sesame"])
            XCTAssertEqual(models.status, 200)
            XCTAssertEqual(((models.json["data"] as? [[String: Any]])?.first?["id"]) as? String, "test-model")
            let health = try await server.send("/health", method: "GET")
            XCTAssertEqual(health.status, 200)
            XCTAssertTrue(engine.requests.isEmpty)
        }
    }

    func testFailureMidStreamEndsTheStreamCleanly() async throws {
        let engine = ScriptedEngine(script: Fixture.ids("<|channel|>final<|message|>partial"))
        engine.failure = CompletionEngineError.shuttingDown
        try await withServer(engine) { server in
            let reply = try await server.send("/v1/chat/completions", body: #"{"messages": [{"role": "user", "content": "hi"}], "stream": true}"#)
            let (chunks, done) = TestServer.events(reply.body)
            XCTAssertTrue(done)
            XCTAssertEqual((chunks.last?["error"] as? [String: Any])?["code"] as? String, "shutting_down")
        }
    }

    func testTextCompletions() async throws {
        let engine = ScriptedEngine(script: Fixture.ids("But soft, what light<|return|>"))
        try await withServer(engine) { server in
            let reply = try await server.send("/v1/completions", body: #"{"prompt": "ROMEO:", "max_tokens": 50, "stop": [" light"]}"#)
            XCTAssertEqual(reply.status, 200, reply.body)
            XCTAssertEqual(reply.json["object"] as? String, "text_completion")
            let choice = try XCTUnwrap((reply.json["choices"] as? [[String: Any]])?.first)
            XCTAssertEqual(choice["text"] as? String, "But soft, what")
            XCTAssertEqual(choice["finish_reason"] as? String, "stop")
            XCTAssertEqual(engine.requests.last?.prompt, Fixture.tokenizer.encode("ROMEO:"))

            let ids = try await server.send("/v1/completions", body: #"{"prompt": [12, 345], "stream": true}"#)
            let (chunks, done) = TestServer.events(ids.body)
            XCTAssertTrue(done)
            XCTAssertEqual(chunks.compactMap { ($0["choices"] as? [[String: Any]])?.first?["text"] as? String }.joined(), "But soft, what light")
            XCTAssertEqual(engine.requests.last?.prompt, [12, 345])
        }
    }

    func testMetricsExposition() async throws {
        let engine = ScriptedEngine(script: Fixture.ids("<|channel|>final<|message|>ok<|return|>"))
        try await withServer(engine) { server in
            _ = try await server.send("/v1/chat/completions", body: Self.chatBody)
            _ = try await server.send("/v1/chat/completions", body: "{")
            let reply = try await server.send("/metrics", method: "GET")
            XCTAssertEqual(reply.status, 200)
            XCTAssertTrue(reply.headers["content-type"]?.hasPrefix("text/plain") ?? false)
            let text = reply.body
            for line in [#"gptoss_http_requests_total{endpoint="/v1/chat/completions",status="200"} 1"#,
                         #"gptoss_http_requests_total{endpoint="/v1/chat/completions",status="400"} 1"#,
                         "gptoss_expert_cache_hits_total 7", "gptoss_expert_cache_misses_total 3",
                         "gptoss_completion_tokens_total \(Fixture.ids("<|channel|>final<|message|>ok<|return|>").count)",
                         "gptoss_slots 1.0", "gptoss_queue_depth 0.0", "gptoss_kv_capacity_tokens 4096.0",
                         "gptoss_gpu_memory_bytes 3145728.0", "gptoss_gpu_buffers 42.0"] {
                XCTAssertTrue(text.contains(line), "missing '\(line)' in\n\(text)")
            }
            XCTAssertTrue(text.contains("# TYPE gptoss_prompt_tokens_total counter"))
            XCTAssertTrue(text.contains("# TYPE gptoss_active_sequences gauge"))
        }
    }

    /// A client that goes away mid-stream: the engine's stream is terminated (cancelled).
    func testDisconnectCancelsTheSequence() async throws {
        let engine = ScriptedEngine(script: Array(repeating: Fixture.ids("<|channel|>final<|message|>")[0], count: 1)
                                    + Fixture.ids("<|message|>") + Array(repeating: Fixture.tokenizer.encode(" la")[0], count: 400))
        engine.tokenDelay = 0.02
        try await withServer(engine) { server in
            let port = try XCTUnwrap(Int(server.url.split(separator: ":").last ?? ""))
            let body = #"{"messages": [{"role": "user", "content": "sing"}], "stream": true}"#
            try RawClient.sendAndHangUp(port: port, request: "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                        + "Content-Length: \(body.utf8.count)\r\n\r\n" + body, readUntil: "la")
            let deadline = Date().addingTimeInterval(10)
            while engine.terminations.isEmpty && Date() < deadline { try await Task.sleep(nanoseconds: 20_000_000) }
            XCTAssertEqual(engine.terminations.count, 1)
            if case .cancelled? = engine.terminations.first {} else { XCTFail("the stream was not cancelled: \(engine.terminations)") }
        }
    }
}

/// A blocking socket client that sends a request, reads until some text arrives, and closes.
enum RawClient {
    static func sendAndHangUp(port: Int, request: String, readUntil marker: String) throws {
        let socket = try LoopbackSocket(port: port)
        defer { socket.close(reset: false) }
        socket.send(request)
        var received = ""
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !received.contains(marker), let count = socket.receive(into: &buffer, timeoutSeconds: 10), count > 0 {
            received += String(decoding: buffer[0 ..< count], as: UTF8.self)
        }
        XCTAssertTrue(received.contains(marker), received)
    }
}
