import CCurl
import Foundation

/// A GGUF file on an HTTP(S) server, read with Range requests through libcurl.
///
/// The first request asks for the first `probeLength` bytes: a 206 with a Content-Range proves
/// the host honours ranges and tells the size, and its bytes serve the header parser's first
/// reads. Large reads are split into `chunkSize` ranges fetched `rangesInFlight` at a time. A
/// range that fails part-way (dropped connection, stall, 5xx, 429) is retried with exponential
/// backoff from the first byte it has not yet received; every range's Content-Range and length
/// are checked against the request.
///
/// The file must stay the same while it is read: the probe's size, ETag and Last-Modified are
/// compared with every later response, and a difference is an error (never a mix of two
/// versions). A server that ignores Range (200 with the whole body) is refused at its first body
/// byte; nothing of the body is kept. A trickle below `lowSpeedLimit` is an error, a redirect
/// loop too (after `maxRedirects`), and redirects go to http(s) only.
public final class HTTPByteSource: ByteSource, @unchecked Sendable {
    public let name: String
    public let size: UInt64
    public let options: HTTPOptions
    /// The first bytes of the file, fetched by the probe.
    private let head: [UInt8]
    /// The probe's validators: every later 206 must carry the same ones.
    private let etag: String?
    private let lastModified: String?
    private let lock = NSLock()
    private var idleHandles: [CurlHandle] = []
    private var fetched: UInt64 = 0
    private var requests = 0

    /// Bytes fetched over the network so far (probe and all reads, retried bytes included once).
    public var totalBytesFetched: UInt64 { lock.withLock { fetched } }
    /// HTTP requests made so far (the probe and retries included).
    public var requestCount: Int { lock.withLock { requests } }

    public init(url: String, options: HTTPOptions = HTTPOptions()) throws {
        self.name = url
        self.options = options
        guard let handle = CurlHandle() else { throw GGUFError.http(source: url, detail: "libcurl failed to initialise") }
        var probe = [UInt8](repeating: 0, count: options.probeLength)
        var learnedSize: UInt64 = 0
        var received = 0
        var attempts = 0
        var validators: (etag: String?, lastModified: String?) = (nil, nil)
        try probe.withUnsafeMutableBytes { buffer in
            try Self.withRetries(url: url, options: options) { _ in
                attempts += 1
                let response = handle.getRange(url: url, first: 0, last: UInt64(buffer.count - 1), destination: buffer, options: options)
                if response.status == 416, let range = response.contentRange.flatMap(ContentRange.init), range.total == 0 {
                    learnedSize = 0  // an empty file: no byte range is satisfiable
                    received = 0
                    return .done
                }
                if let failure = Self.classify(response, url: url, offset: 0, length: buffer.count, options: options) { return failure }
                guard let range = response.contentRange.flatMap(ContentRange.init), range.first == 0, let last = range.last,
                      let total = range.total else {
                    return .fail(GGUFError.http(source: url, detail:
                        "the server answered 206 without a usable Content-Range (\(response.contentRange ?? "none")); serve the file with 'gptoss-gl serve'."))
                }
                guard last < UInt64(buffer.count), UInt64(response.received) == last + 1 else {
                    if response.received > 0 && UInt64(response.received) < last + 1 { return .retry("the first range ended early") }
                    return .fail(GGUFError.rangeLength(source: url, offset: 0, expected: last + 1, got: UInt64(response.received)))
                }
                learnedSize = total
                received = response.received
                validators = (response.etag, response.lastModified)
                return .done
            }
        }
        self.size = learnedSize
        self.head = Array(probe[0..<received])
        self.etag = validators.etag
        self.lastModified = validators.lastModified
        self.fetched = UInt64(received)
        self.requests = attempts
        self.idleHandles = [handle]
    }

    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws {
        guard offset <= size, UInt64(buffer.count) <= size - offset else {
            throw GGUFError.http(source: name, detail: "read of \(buffer.count) bytes at offset \(offset) is past the end (\(size) bytes)")
        }
        if buffer.isEmpty { return }
        // Bytes the probe already fetched are copied, not fetched again.
        let fromHead = offset < UInt64(head.count) ? min(buffer.count, head.count - Int(offset)) : 0
        if fromHead > 0 {
            head.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + Int(offset), byteCount: fromHead) }
        }
        if fromHead == buffer.count { return }
        let started = Date()
        let rest = UnsafeMutableRawBufferPointer(rebasing: buffer[fromHead...])
        let retries = try fetchChunked(offset: offset + UInt64(fromHead), buffer: rest)
        if let progress = options.progress {
            progress(HTTPReadReport(source: name, offset: offset, bytes: UInt64(buffer.count),
                                    seconds: Date().timeIntervalSince(started), totalBytesFetched: totalBytesFetched, retries: retries))
        }
    }

    // MARK: - Chunked, parallel reads

    /// Splits the read into chunks and runs up to `rangesInFlight` of them at once; returns the retries used.
    private func fetchChunked(offset: UInt64, buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let chunk = options.chunkSize
        let chunkCount = (buffer.count + chunk - 1) / chunk
        if chunkCount == 1 { return try fetchRange(offset: offset, buffer: buffer) }
        let workers = min(options.rangesInFlight, chunkCount)
        let state = ParallelState()
        let group = DispatchGroup()
        // Each worker blocks in curl; DispatchQueue.global spawns threads for blocked work.
        nonisolated(unsafe) let destination = buffer
        for _ in 0..<workers {
            DispatchQueue.global().async(group: group) { [self] in
                while let index = state.nextChunk(limit: chunkCount) {
                    let start = index * chunk
                    let piece = UnsafeMutableRawBufferPointer(rebasing: destination[start..<min(start + chunk, destination.count)])
                    do {
                        let retries = try fetchRange(offset: offset + UInt64(start), buffer: piece)
                        state.addRetries(retries)
                    } catch {
                        state.fail(error)
                    }
                }
            }
        }
        group.wait()
        if let error = state.firstError { throw error }
        return state.retries
    }

    private final class ParallelState: @unchecked Sendable {
        private let lock = NSLock()
        private var next = 0
        private(set) var retries = 0
        private(set) var firstError: Error?
        func nextChunk(limit: Int) -> Int? {
            lock.withLock {
                guard firstError == nil, next < limit else { return nil }
                defer { next += 1 }
                return next
            }
        }
        func addRetries(_ n: Int) { lock.withLock { retries += n } }
        func fail(_ error: Error) { lock.withLock { if firstError == nil { firstError = error } } }
    }

    private func takeHandle() throws -> CurlHandle {
        if let handle = lock.withLock({ idleHandles.popLast() }) { return handle }
        guard let handle = CurlHandle() else { throw GGUFError.http(source: name, detail: "libcurl failed to create a handle") }
        return handle
    }

    private func returnHandle(_ handle: CurlHandle) { lock.withLock { idleHandles.append(handle) } }

    /// One range with retries; resumes after the bytes already received. Returns the retries used.
    private func fetchRange(offset: UInt64, buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let handle = try takeHandle()
        defer { returnHandle(handle) }
        var done = 0
        return try Self.withRetries(url: name, options: options) { _ in
            let first = offset + UInt64(done)
            let last = offset + UInt64(buffer.count) - 1
            let rest = UnsafeMutableRawBufferPointer(rebasing: buffer[done...])
            let response = handle.getRange(url: name, first: first, last: last, destination: rest, options: options)
            lock.withLock {
                fetched += UInt64(response.received)
                requests += 1
            }
            // Checked before any byte is kept: bytes of another version must not be resumed from.
            if response.status == 206, let change = changeSinceProbe(response) {
                return .fail(GGUFError.remoteFileChanged(source: name, detail: change))
            }
            if response.received > 0 {
                // The received bytes are only kept if they are the ones asked for.
                if let range = response.contentRange.flatMap(ContentRange.init), range.first == first, response.status == 206 {
                    done += response.received
                }
            }
            if let failure = Self.classify(response, url: name, offset: first, length: rest.count, options: options) {
                return failure
            }
            guard let range = response.contentRange.flatMap(ContentRange.init), range.first == first, range.last == last else {
                return .fail(GGUFError.http(source: name, detail:
                    "asked for bytes \(first)-\(last) but the server sent Content-Range '\(response.contentRange ?? "none")'"))
            }
            if let total = range.total, total != size {
                return .fail(GGUFError.remoteFileChanged(source: name, detail: "size \(size) bytes at first, now \(total)"))
            }
            if done < buffer.count {
                return .retry("the range ended after \(done) of \(buffer.count) bytes")
            }
            return .done
        }
    }

    /// Which validator differs from the probe's, if any. A validator the probe had must be
    /// present and equal; one it lacked cannot be compared.
    private func changeSinceProbe(_ response: RangeResponse) -> String? {
        if let etag, response.etag != etag { return "ETag \(etag) at first, now \(response.etag ?? "absent")" }
        if let lastModified, response.lastModified != lastModified {
            return "Last-Modified \(lastModified) at first, now \(response.lastModified ?? "absent")"
        }
        return nil
    }

    // MARK: - Retry policy

    enum Attempt {
        case done
        case retry(String)
        case fail(Error)
    }

    /// What a response means: nil when it is a complete 206 to inspect further.
    private static func classify(_ response: RangeResponse, url: String, offset: UInt64, length: Int, options: HTTPOptions) -> Attempt? {
        if response.curlCode == CURLE_TOO_MANY_REDIRECTS {
            return .fail(GGUFError.tooManyRedirects(source: url, limit: options.maxRedirects))
        }
        if response.curlCode == CURLE_UNSUPPORTED_PROTOCOL {
            return .fail(GGUFError.http(source: url, detail: "\(response.curlMessage); only http and https are followed, redirects included."))
        }
        if let slow = response.tooSlow {
            return .fail(GGUFError.tooSlow(source: url, bytes: slow.bytes, seconds: slow.seconds, limit: options.lowSpeedLimit))
        }
        if response.overflowed {
            // The write callback refused the byte past the end, so at least one more was sent.
            return .fail(GGUFError.rangeLength(source: url, offset: offset, expected: UInt64(length), got: UInt64(length) + 1))
        }
        switch response.status {
        case 206:
            break
        case 200:
            return .fail(GGUFError.rangeNotSupported(source: url))
        case 429, 500...599:
            return .retry("HTTP \(response.status)")
        case 0:
            return .retry(response.curlMessage)
        default:
            let hint = response.status == 404 ? " (not found: check the URL)" : response.status == 403 ? " (forbidden: check access to the file)" : ""
            return .fail(GGUFError.http(source: url, detail: "the server answered HTTP \(response.status)\(hint)"))
        }
        if response.stalled {
            return .retry("the transfer stalled (nothing arrived within the stall timeout)")
        }
        if response.curlCode != CURLE_OK {
            return transient(response.curlCode) ? .retry(response.curlMessage)
                : .fail(GGUFError.http(source: url, detail: "transfer failed: \(response.curlMessage)"))
        }
        return nil
    }

    private static func transient(_ code: CURLcode) -> Bool {
        [CURLE_PARTIAL_FILE, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_OPERATION_TIMEDOUT,
         CURLE_COULDNT_CONNECT, CURLE_SSL_CONNECT_ERROR, CURLE_HTTP2, CURLE_HTTP2_STREAM].contains(code)
    }

    /// Runs `attempt` until done, sleeping with exponential backoff between retries; returns the
    /// number of retries used.
    @discardableResult
    private static func withRetries(url: String, options: HTTPOptions, _ attempt: (Int) throws -> Attempt) throws -> Int {
        var retries = 0
        var delay = options.retryBaseDelay
        while true {
            switch try attempt(retries) {
            case .done:
                return retries
            case .fail(let error):
                throw error
            case .retry(let reason):
                guard retries < options.maxRetries else {
                    throw GGUFError.http(source: url, detail: "gave up after \(retries + 1) attempts: \(reason). Check the network or the server.")
                }
                retries += 1
                Thread.sleep(forTimeInterval: delay)
                delay = min(delay * 2, options.retryMaxDelay)
            }
        }
    }
}
