import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A local file read with pread: thread-safe, no shared file position, nothing mapped.
public final class FileByteSource: ByteSource, @unchecked Sendable {
    public let name: String
    public let size: UInt64
    private let descriptor: Int32

    public init(path: String) throws {
        let fd = Foundation.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw GGUFError.io(source: path, detail: "cannot open: \(String(cString: strerror(errno))). Check the path.")
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw GGUFError.io(source: path, detail: "cannot stat: \(message)")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw GGUFError.io(source: path, detail: "is not a regular file")
        }
        self.name = path
        self.size = UInt64(info.st_size)
        self.descriptor = fd
    }

    deinit { close(descriptor) }

    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws {
        guard offset <= size, UInt64(buffer.count) <= size - offset else {
            throw GGUFError.io(source: name, detail: "read of \(buffer.count) bytes at offset \(offset) is past the end (\(size) bytes)")
        }
        var done = 0
        while done < buffer.count {
            let n = pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
            if n > 0 { done += n; continue }
            if n < 0 && errno == EINTR { continue }
            let detail = n < 0 ? String(cString: strerror(errno)) : "the file ended early (was it truncated while open?)"
            throw GGUFError.io(source: name, detail: "read at offset \(offset + UInt64(done)) failed: \(detail)")
        }
    }
}
