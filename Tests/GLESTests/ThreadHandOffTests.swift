import Foundation
import GLES
import XCTest

final class ThreadHandOffTests: XCTestCase {
    /// Runs `body` on a fresh thread and waits for it.
    private func onOtherThread(_ body: @escaping () -> Void) {
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            body()
            done.signal()
        }
        thread.start()
        done.wait()
    }

    func testContextCurrentElsewhereIsAClearErrorUntilReleased() throws {
        let context = try GLContext.createHeadless()
        let buffer = try context.makeBuffer(array: [UInt32(1), 2, 3], label: "handoff")
        var firstError: Error?
        var readOnOtherThread: [UInt32] = []
        onOtherThread {
            do { _ = try buffer.readUInt32s() } catch { firstError = error }
        }
        guard case GLESError.contextNotCurrent? = firstError as? GLESError else {
            return XCTFail("expected contextNotCurrent, got \(String(describing: firstError))")
        }
        XCTAssertTrue(firstError!.localizedDescription.contains("thread"))

        context.releaseCurrent()
        onOtherThread {
            readOnOtherThread = (try? buffer.readUInt32s()) ?? []
            context.releaseCurrent()
        }
        XCTAssertEqual(readOnOtherThread, [1, 2, 3])
        XCTAssertEqual(try buffer.readUInt32s(), [1, 2, 3], "usable again on this thread")
    }
}
