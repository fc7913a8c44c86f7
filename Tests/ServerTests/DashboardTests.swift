import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
@testable import Server
import XCTest

/// The dashboard's routes on a real socket with scripted frames (the HUD itself is tested in
/// HUDTests; scripts/check_dashboard.sh runs the whole thing with the bundled model).
final class DashboardTests: XCTestCase {
    /// Frames a test controls: a PNG once set, a new JPEG every 20 ms after `start`.
    private final class ScriptedFrames: @unchecked Sendable {
        private let lock = NSLock()
        private var png: Data?
        private let started = Date()

        func setPNG(_ data: Data) { lock.lock(); png = data; lock.unlock() }

        var frames: DashboardFrames {
            DashboardFrames(
                latestPNG: { [self] in lock.lock(); defer { lock.unlock() }; return png },
                next: { [started] after, _ in
                    try? await Task.sleep(nanoseconds: 20_000_000)
                    let index = max((after ?? 0) + 1, Int(Date().timeIntervalSince(started) / 0.02))
                    return (index, Data("JPEG-\(index)".utf8))
                })
        }
    }

    func testPageAndLatestPNG() async throws {
        let frames = ScriptedFrames()
        let server = try await TestServer(engine: ScriptedEngine(script: [1]), dashboard: frames.frames)
        do {
            let page = try await server.send("/", method: "GET")
            XCTAssertEqual(page.status, 200)
            XCTAssertEqual(page.headers["content-type"], "text/html; charset=utf-8")
            XCTAssertTrue(page.body.contains(#"<img src="/hud.mjpg""#), page.body)
            XCTAssertTrue(page.body.contains(#"href="/metrics""#), page.body)
            XCTAssertTrue(page.body.contains("test-model"), page.body)

            let early = try await server.send("/hud.png", method: "GET")
            XCTAssertEqual(early.status, 503)
            XCTAssertEqual(early.error["code"] as? String, "hud_not_ready")

            frames.setPNG(Data("PNG-BYTES".utf8))
            let png = try await server.send("/hud.png", method: "GET")
            XCTAssertEqual(png.status, 200)
            XCTAssertEqual(png.headers["content-type"], "image/png")
            XCTAssertEqual(png.body, "PNG-BYTES")
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    func testNoDashboardNoRoutes() async throws {
        let server = try await TestServer(engine: ScriptedEngine(script: [1]))
        let page = try await server.send("/hud.png", method: "GET")
        await server.stop()
        XCTAssertEqual(page.status, 404)
    }

    func testTheDashboardNeedsTheAPIKeyToo() async throws {
        let frames = ScriptedFrames()
        frames.setPNG(Data("PNG".utf8))
        let server = try await TestServer(engine: ScriptedEngine(script: [1]), apiKey: "sesame", dashboard: frames.frames)
        let refused = try await server.send("/hud.png", method: "GET")
        let allowed = try await server.send("/hud.png", method: "GET", headers: ["Authorization": "Bearer sesame"])
        await server.stop()
        XCTAssertEqual(refused.status, 401)
        XCTAssertEqual(allowed.status, 200)
    }

    func testPartFraming() {
        let part = Dashboard.part(Data("abc".utf8))
        XCTAssertEqual(String(buffer: part), "--gptoss-gl-frame\r\nContent-Type: image/jpeg\r\nContent-Length: 3\r\n\r\nabc\r\n")
    }

    /// A client reading /hud.mjpg gets newer frames one part after another, and a graceful
    /// shutdown ends the never-ending stream instead of waiting on it.
    func testMJPEGStreamsPartsAndEndsOnShutdown() async throws {
        let frames = ScriptedFrames()
        let server = try await TestServer(engine: ScriptedEngine(script: [1]), dashboard: frames.frames)
        let url = URL(string: server.url + "/hud.mjpg")!
        let reading = Task { () -> (Data, URLResponse) in
            var request = URLRequest(url: url)
            request.timeoutInterval = 60
            return try await URLSession.shared.data(for: request)
        }
        try await Task.sleep(nanoseconds: 400_000_000)
        let stopping = Date()
        await server.stop()
        let (data, response) = try await reading.value
        XCTAssertLessThan(Date().timeIntervalSince(stopping), 5, "the stream held up the shutdown")
        XCTAssertEqual((response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Content-Type"),
                       "multipart/x-mixed-replace; boundary=gptoss-gl-frame")
        let body = String(decoding: data, as: UTF8.self)
        let indices = body.components(separatedBy: "\r\n").compactMap { line -> Int? in
            line.hasPrefix("JPEG-") ? Int(line.dropFirst(5)) : nil
        }
        XCTAssertGreaterThan(indices.count, 3, body)
        XCTAssertEqual(indices, indices.sorted(), "frames in order")
        XCTAssertEqual(Set(indices).count, indices.count, "no frame sent twice")
    }
}
