import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import GPTOSS
@testable import Server
import XCTest

/// A real server on 127.0.0.1 (a free port) around an engine, for the duration of a test.
final class TestServer {
    let server: OpenAIServer
    let url: String
    private let task: Task<Void, Error>
    private let stopSignal = AsyncStream<Void>.makeStream()

    init(engine: any CompletionEngine, apiKey: String? = nil, maxBodyBytes: Int = ServerOptions.defaultMaxBodyBytes,
         idleTimeoutSeconds: Double = ServerOptions.defaultIdleTimeoutSeconds, maxConnections: Int = ServerOptions.defaultMaxConnections,
         dashboard: DashboardFrames? = nil) async throws {
        server = try OpenAIServer(engine: engine, tokenizer: Fixture.tokenizer, options: ServerOptions(
            host: "127.0.0.1", port: 0, apiKey: apiKey, modelName: "test-model", maxBodyBytes: maxBodyBytes, maxJSONDepth: 16,
            idleTimeoutSeconds: idleTimeoutSeconds, maxConnections: maxConnections),
            dashboard: dashboard)
        let ready = AsyncStream<String>.makeStream()
        let server = self.server
        let stopStream = stopSignal.stream
        task = Task {
            try await server.run(onReady: { ready.continuation.yield($0) }, stop: {
                for await _ in stopStream { return }
            })
        }
        var iterator = ready.stream.makeAsyncIterator()
        guard let url = await iterator.next() else { throw XCTSkip("the server did not start") }
        self.url = url
    }

    /// A graceful shutdown, as on SIGTERM: the engine drains, then the server closes.
    func stop() async {
        stopSignal.continuation.yield()
        _ = try? await task.value
    }

    struct Reply {
        var status: Int
        var body: String
        var headers: [String: String]
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
        var error: [String: Any] { json["error"] as? [String: Any] ?? [:] }
    }

    func send(_ path: String, method: String = "POST", body: String? = nil, headers: [String: String] = [:]) async throws -> Reply {
        var request = URLRequest(url: URL(string: url + path)!)
        request.httpMethod = method
        request.timeoutInterval = 30
        if let body { request.httpBody = Data(body.utf8) }
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try XCTUnwrap(response as? HTTPURLResponse)
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields { fields["\(name)".lowercased()] = "\(value)" }
        return Reply(status: http.statusCode, body: String(decoding: data, as: UTF8.self), headers: fields)
    }

    /// The JSON of each `data:` event of an SSE body, and whether it ended with `data: [DONE]`.
    static func events(_ body: String) -> (chunks: [[String: Any]], done: Bool) {
        let events = body.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        var chunks: [[String: Any]] = []
        var done = false
        for event in events {
            XCTAssertTrue(event.hasPrefix("data: "), "not an SSE data event: \(event)")
            let payload = String(event.dropFirst(6))
            if payload == "[DONE]" { done = true; continue }
            XCTAssertFalse(done, "an event after [DONE]")
            chunks.append((try? JSONSerialization.jsonObject(with: Data(payload.utf8))) as? [String: Any] ?? [:])
        }
        return (chunks, done)
    }
}
