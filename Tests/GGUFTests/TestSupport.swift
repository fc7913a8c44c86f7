import Foundation
import XCTest
@testable import GGUF

/// Paths and temporary folders shared by the GGUF tests.
enum TestFiles {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    /// A fresh empty folder, removed when the test ends.
    static func temporaryDirectory(for test: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gguf-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}

/// A ByteSource over bytes in memory, counting reads (to prove the reader never slurps a file).
final class MemoryByteSource: ByteSource, @unchecked Sendable {
    let bytes: [UInt8]
    let name: String
    private(set) var bytesRead: UInt64 = 0
    var size: UInt64 { UInt64(bytes.count) }

    init(_ bytes: [UInt8], name: String = "memory") {
        self.bytes = bytes
        self.name = name
    }

    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws {
        guard offset <= size, UInt64(buffer.count) <= size - offset else {
            throw GGUFError.io(source: name, detail: "read past the end")
        }
        bytesRead += UInt64(buffer.count)
        bytes.withUnsafeBytes { buffer.baseAddress?.copyMemory(from: $0.baseAddress! + Int(offset), byteCount: buffer.count) }
    }
}

extension Array where Element == UInt8 {
    /// Deterministic pseudo-random bytes.
    static func pattern(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed &* 6364136223846793005 &+ 1442695040888963407
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }
}

extension XCTestCase {
    /// Asserts that `body` throws a GGUFError matching `matches`, and returns it.
    @discardableResult
    func assertGGUFError(_ body: @autoclosure () throws -> Any, _ description: String,
                         file: StaticString = #filePath, line: UInt = #line,
                         matches: (GGUFError) -> Bool) -> GGUFError? {
        do {
            _ = try body()
            XCTFail("\(description): expected an error, got success", file: file, line: line)
        } catch let error as GGUFError {
            XCTAssertTrue(matches(error), "\(description): wrong error: \(error.localizedDescription)", file: file, line: line)
            XCTAssertFalse((error.errorDescription ?? "").isEmpty, file: file, line: line)
            return error
        } catch {
            XCTFail("\(description): not a GGUFError: \(error)", file: file, line: line)
        }
        return nil
    }
}
