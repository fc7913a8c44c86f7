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
        // O_NONBLOCK: opening a FIFO without a writer (or some devices) would otherwise block
        // forever; the descriptor is checked to be a regular file before any read, and reads of
        // regular files ignore the flag.
        let fd = Foundation.open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
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
            throw GGUFError.io(source: path, detail: "is \(Self.kind(of: info.st_mode)), not a regular file. Pass the path of a .gguf file (save a stream to a file first).")
        }
        self.name = path
        self.size = UInt64(info.st_size)
        self.descriptor = fd
    }

    deinit { close(descriptor) }

    private static func kind(of mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        default: return "a special file"
        }
    }

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
