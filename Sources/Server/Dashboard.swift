import Foundation
import Hummingbird
import NIOCore
import ServiceLifecycle

/// Where the dashboard's frames come from: the live HUD the executable runs on its own thread
/// and GL context (the server itself never draws). Closures, so this module needs no HUD.
public struct DashboardFrames: Sendable {
    /// The current frame as PNG; nil before the first frame.
    public var latestPNG: @Sendable () throws -> Data?
    /// The first frame newer than `after` (any when nil) as (index, JPEG), waiting at most
    /// `timeout` seconds; nil on timeout.
    public var next: @Sendable (_ after: Int?, _ timeout: Double) async -> (index: Int, jpeg: Data)?

    public init(latestPNG: @escaping @Sendable () throws -> Data?,
                next: @escaping @Sendable (_ after: Int?, _ timeout: Double) async -> (index: Int, jpeg: Data)?) {
        self.latestPNG = latestPNG
        self.next = next
    }
}

/// The dashboard: `GET /` (a page with the live HUD and links), `GET /hud.png` (the current
/// frame) and `GET /hud.mjpg` (the frames as they come, `multipart/x-mixed-replace` JPEG: a
/// browser shows it in an <img> without scripts).
enum Dashboard {
    static let boundary = "gptoss-gl-frame"

    static func addRoutes(to router: Router<ServerRequestContext>, frames: DashboardFrames, modelName: String) {
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-cache"],
                     body: .init(byteBuffer: ByteBuffer(string: page(modelName: modelName))))
        }
        router.get("/hud.png") { _, _ in
            guard let png = try frames.latestPNG() else {
                throw APIError(status: .serviceUnavailable, message: "The HUD has not drawn its first frame yet; try again in a moment.",
                               type: "server_error", code: "hud_not_ready")
            }
            return Response(status: .ok, headers: [.contentType: "image/png", .cacheControl: "no-cache, no-store"],
                            body: .init(byteBuffer: ByteBuffer(bytes: png)))
        }
        router.get("/hud.mjpg") { _, _ in
            Response(status: .ok, headers: [.contentType: "multipart/x-mixed-replace; boundary=\(boundary)",
                                            .cacheControl: "no-cache, no-store"],
                     body: ResponseBody { writer in
                         var last: Int?
                         // Ends when the client goes away (a write fails) or the server shuts down.
                         while !Task.isCancelled, !Task.isShuttingDownGracefully {
                             guard let frame = await frames.next(last, 0.5) else { continue }
                             last = frame.index
                             try await writer.write(part(frame.jpeg))
                         }
                         try await writer.finish(nil)
                     })
        }
    }

    /// One part of the multipart stream: boundary, headers, the JPEG.
    static func part(_ jpeg: Data) -> ByteBuffer {
        var buffer = ByteBuffer(string: "--\(boundary)\r\nContent-Type: image/jpeg\r\nContent-Length: \(jpeg.count)\r\n\r\n")
        buffer.writeBytes(jpeg)
        buffer.writeString("\r\n")
        return buffer
    }

    static func page(modelName: String) -> String {
        let name = escape(modelName)
        return """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>gptoss-gl · \(name)</title>
        <style>
        body { margin: 0; background: #05090e; color: #cdeff5; font: 14px monospace; }
        header { padding: 8px 12px; border-bottom: 1px solid #12434e; }
        a { color: #3fe6ff; }
        img { display: block; max-width: 100%; height: auto; margin: 8px auto; }
        </style>
        </head>
        <body>
        <header>gptoss-gl server · \(name) · <a href="/metrics">/metrics</a> · <a href="/hud.png">/hud.png</a> · \
        <a href="/v1/models">/v1/models</a> · <a href="/health">/health</a></header>
        <img src="/hud.mjpg" alt="the live HUD of the server" width="1280" height="720">
        </body>
        </html>

        """
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
