import Foundation
import XCTest
@testable import GGUF

/// A model path that is not a regular file is refused at once, never waited on.
final class FileByteSourceTests: XCTestCase {
    /// Opens `path` on another thread; fails the test instead of hanging if it blocks.
    func openWithin(_ seconds: Double, _ path: String) -> Result<GGUFFile, Error>? {
        let box = ResultBox()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            box.result = Result { try GGUFFile.open(path) }
            done.signal()
        }
        guard done.wait(timeout: .now() + seconds) == .success else { return nil }
        return box.result
    }

    final class ResultBox: @unchecked Sendable { var result: Result<GGUFFile, Error>? }

    func testFIFOWithoutWriterIsRefusedNotWaitedOn() throws {
        let path = try TestFiles.temporaryDirectory(for: self).appendingPathComponent("model.gguf").path
        XCTAssertEqual(mkfifo(path, 0o600), 0)
        guard let result = openWithin(5, path) else {
            // Unblock the stuck open so the process can end, then fail.
            let writer = open(path, O_WRONLY | O_NONBLOCK)
            if writer >= 0 { close(writer) }
            return XCTFail("open blocked on a FIFO")
        }
        guard case .failure(let error) = result, case .io(_, let detail)? = error as? GGUFError else {
            return XCTFail("expected an io error, got \(result)")
        }
        XCTAssertTrue(detail.contains("FIFO") && detail.contains("not a regular file"), detail)
    }

    func testDirectoriesAndDevicesAreRefused() throws {
        for (path, kind) in [(TestFiles.fixtures.path, "a directory"), ("/dev/null", "a character device")] {
            assertGGUFError(try GGUFFile.open(path), path) { if case .io(_, let detail) = $0 { return detail.contains(kind) }; return false }
        }
    }
}
