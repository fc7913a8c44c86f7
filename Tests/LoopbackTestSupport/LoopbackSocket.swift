import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A blocking socket to a server on 127.0.0.1, for the tests that must speak raw bytes to a
/// server (exact statuses and headers, half-open or reset connections) without any client
/// library's opinions. Shared by GGUFTests (`serve`) and ServerTests (`server`).
public final class LoopbackSocket {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    private var fd: Int32

    /// Connects to 127.0.0.1:`port`.
    public init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            Glibc.close(fd)
            fd = -1
            throw Failure(description: "connect to 127.0.0.1:\(port) failed: errno \(errno)")
        }
    }

    deinit { close(reset: false) }

    public func send(_ text: String) {
        _ = text.withCString { Glibc.send(fd, $0, strlen($0), 0) }
    }

    private func setReceiveTimeout(_ seconds: Double) {
        var timeout = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// One recv with a timeout: the bytes read (0 at end of file, < 0 on an error), nil when
    /// nothing came in time.
    public func receive(into buffer: inout [UInt8], timeoutSeconds: Double) -> Int? {
        setReceiveTimeout(timeoutSeconds)
        let count = recv(fd, &buffer, buffer.count, 0)
        if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return nil }
        return count
    }

    /// Whether the server closes its side (recv reads end of file, or the connection is reset)
    /// within `seconds`; whatever it sends before is read and dropped.
    public func closedByPeer(within seconds: Double) -> Bool {
        setReceiveTimeout(seconds)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count == 0 { return true }
            if count < 0 { return errno == ECONNRESET }
        }
    }

    /// Everything the server sends until it closes the connection, an error, or a recv that
    /// waits longer than `timeoutSeconds`.
    public func readToEnd(timeoutSeconds: Double) -> [UInt8] {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while let count = receive(into: &buffer, timeoutSeconds: timeoutSeconds), count > 0 {
            data += buffer[0 ..< count]
        }
        return data
    }

    /// Everything the server sends until it closes the connection (or `seconds` pass), as text.
    public func readUntilClosed(within seconds: Int) -> String {
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = Date().addingTimeInterval(Double(seconds))
        while Date() < deadline {
            guard let count = receive(into: &buffer, timeoutSeconds: 1) else { continue }
            if count <= 0 { break }
            data += buffer[0 ..< count]
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// `reset`: SO_LINGER 0 makes close send a RST instead of a FIN.
    public func close(reset: Bool) {
        guard fd >= 0 else { return }
        if reset {
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        }
        Glibc.close(fd)
        fd = -1
    }
}
