import Foundation
import GLES
import XCTest
@testable import HUD
import Telemetry

/// Shared pieces of the HUD tests: the package's folders, the canned logs, one GL context and
/// renderer for the whole run (creating contexts is slow on llvmpipe).
enum HUDTestSupport {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = packageRoot.appendingPathComponent("Tests/HUDTests/Fixtures")
    static let goldens = packageRoot.appendingPathComponent("Tests/HUDTests/Golden")
    static let fontsDirectory = packageRoot.appendingPathComponent("Assets/fonts").path

    static func events(_ name: String) throws -> [TelemetryEvent] {
        try JSONLReplayer.read(path: fixtures.appendingPathComponent(name).path)
    }

    private static let shared: Result<(GLContext, HUDRenderer), Error> = Result {
        let context = try GLContext.createHeadless()
        return (context, try HUDRenderer(context: context, fontsDirectory: fontsDirectory))
    }

    static func renderer() throws -> HUDRenderer { try shared.get().1 }
    static func context() throws -> GLContext { try shared.get().0 }

    /// A fresh temporary folder, removed by the test's teardown block.
    static func temporaryDirectory(_ test: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hud-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}
