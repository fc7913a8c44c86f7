import CCurl
import Foundation

/// libcurl is initialised once per process, before any handle exists.
enum CurlGlobal {
    static let initialised: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK
}

/// One easy handle, reused across requests so connections stay open.
final class CurlHandle {
    let raw: UnsafeMutableRawPointer
    init?() {
        guard CurlGlobal.initialised, let handle = curl_easy_init() else { return nil }
        raw = handle
    }
    deinit { curl_easy_cleanup(raw) }
}

/// The outcome of one ranged GET.
struct RangeResponse {
    var curlCode: CURLcode
    var curlMessage: String
    /// Final HTTP status (after redirects); 0 if none arrived.
    var status: Int
    var contentRange: String?
    var acceptRanges: String?
    /// The validators of the file version that answered, when the server sends them.
    var etag: String?
    var lastModified: String?
    /// Bytes written into the destination.
    var received: Int
    /// The server sent more bytes than asked for.
    var overflowed: Bool
    /// Nothing arrived for the stall timeout.
    var stalled: Bool
    /// Bytes arrived, but fewer than the low-speed limit asks for over its window: the bytes
    /// that arrived in the window that failed, and its length in seconds.
    var tooSlow: (bytes: Int, seconds: Double)?
}

/// Mutable state the C callbacks write into during one transfer.
private final class TransferState {
    let handle: UnsafeMutableRawPointer
    let destination: UnsafeMutableRawBufferPointer
    var received = 0
    var overflowed = false
    var statusChecked = false
    var rejectedStatus: Int?
    var contentRange: String?
    var acceptRanges: String?
    var etag: String?
    var lastModified: String?
    /// When a byte last arrived (or the transfer started), for stall detection.
    var lastActivity = DispatchTime.now().uptimeNanoseconds
    let stallNanoseconds: UInt64
    var stalled = false
    /// Low-speed detection: the body must bring `lowSpeedBytes` bytes in every window of
    /// `lowSpeedNanoseconds` (0 bytes: off). A window starts with the transfer.
    let lowSpeedBytes: Int
    let lowSpeedNanoseconds: UInt64
    var windowStart = DispatchTime.now().uptimeNanoseconds
    var windowStartReceived = 0
    var tooSlow: (bytes: Int, seconds: Double)?

    init(handle: UnsafeMutableRawPointer, destination: UnsafeMutableRawBufferPointer, options: HTTPOptions) {
        self.handle = handle
        self.destination = destination
        self.stallNanoseconds = UInt64(options.stallTimeout * 1e9)
        self.lowSpeedNanoseconds = UInt64(options.lowSpeedTime * 1e9)
        self.lowSpeedBytes = Int((Double(options.lowSpeedLimit) * options.lowSpeedTime).rounded(.up))
    }
}

private let receiveBody: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = { data, size, count, user in
    let state = Unmanaged<TransferState>.fromOpaque(user!).takeUnretainedValue()
    let length = size * count
    state.lastActivity = DispatchTime.now().uptimeNanoseconds
    if !state.statusChecked {
        // Decide on the first body byte: a body that is not a 206 is never written (a 200 could
        // be the whole multi-gigabyte file), and returning 0 makes curl abort the transfer.
        state.statusChecked = true
        var status = 0
        _ = gg_getinfo_long(state.handle, CURLINFO_RESPONSE_CODE, &status)
        if status != 206 { state.rejectedStatus = status }
    }
    if state.rejectedStatus != nil { return 0 }
    guard length <= state.destination.count - state.received else {
        state.overflowed = true
        return 0
    }
    if length > 0, let data {
        (state.destination.baseAddress! + state.received).copyMemory(from: data, byteCount: length)
    }
    state.received += length
    return length
}

/// Aborts a transfer that has received nothing for the stall timeout, or that trickles: fewer
/// bytes in a low-speed window than the limit times the window. (libcurl's own low-speed limit
/// gives the same CURLE_OPERATION_TIMEDOUT as a connect timeout; these two say which it was.)
private let watchProgress: @convention(c) (UnsafeMutableRawPointer?, curl_off_t, curl_off_t, curl_off_t, curl_off_t) -> Int32 = { user, _, _, _, _ in
    let state = Unmanaged<TransferState>.fromOpaque(user!).takeUnretainedValue()
    let now = DispatchTime.now().uptimeNanoseconds
    if now &- state.lastActivity > state.stallNanoseconds {
        state.stalled = true
        return 1
    }
    if state.lowSpeedBytes > 0, now &- state.windowStart >= state.lowSpeedNanoseconds {
        let arrived = state.received - state.windowStartReceived
        // Only a transfer still waiting for body bytes can be too slow, and only one that is not
        // silent: a window with nothing at all (not even a header byte) is a stall, retried.
        let heardFrom = state.lastActivity > state.windowStart
        if heardFrom, arrived < state.lowSpeedBytes, state.received < state.destination.count, state.rejectedStatus == nil {
            state.tooSlow = (arrived, Double(now &- state.windowStart) / 1e9)
            return 1
        }
        state.windowStart = now
        state.windowStartReceived = state.received
    }
    return 0
}

private let receiveHeader: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = { data, size, count, user in
    let state = Unmanaged<TransferState>.fromOpaque(user!).takeUnretainedValue()
    let length = size * count
    guard let data, length > 0 else { return length }
    state.lastActivity = DispatchTime.now().uptimeNanoseconds
    let line = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
    if line.hasPrefix("HTTP/") {
        // A new response (after a redirect or a 100): forget the previous one's headers.
        state.contentRange = nil
        state.acceptRanges = nil
        state.etag = nil
        state.lastModified = nil
    } else if let colon = line.firstIndex(of: ":") {
        let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        switch name {
        case "content-range": state.contentRange = value
        case "accept-ranges": state.acceptRanges = value
        case "etag": state.etag = value
        case "last-modified": state.lastModified = value
        default: break
        }
    }
    return length
}

extension CurlHandle {
    /// GETs bytes `first...last` of `url` into `destination` (which must hold last-first+1 bytes).
    func getRange(url: String, first: UInt64, last: UInt64, destination: UnsafeMutableRawBufferPointer,
                  options: HTTPOptions) -> RangeResponse {
        curl_easy_reset(raw)
        let state = TransferState(handle: raw, destination: destination, options: options)
        let statePointer = Unmanaged.passUnretained(state).toOpaque()
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let code: CURLcode = url.withCString { urlPointer in
            "\(first)-\(last)".withCString { rangePointer in
                errorBuffer.withUnsafeMutableBufferPointer { errorPointer in
                    _ = gg_setopt_string(raw, CURLOPT_URL, urlPointer)
                    _ = gg_setopt_string(raw, CURLOPT_RANGE, rangePointer)
                    _ = gg_setopt_pointer(raw, CURLOPT_ERRORBUFFER, errorPointer.baseAddress)
                    _ = gg_setopt_long(raw, CURLOPT_NOSIGNAL, 1)
                    // Redirects (model hosts hand off to CDNs) are followed up to a limit, and only
                    // to http(s): a hostile server must not point the reader at file:// or other
                    // schemes libcurl knows.
                    _ = gg_setopt_string(raw, CURLOPT_PROTOCOLS_STR, "http,https")
                    _ = gg_setopt_string(raw, CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
                    _ = gg_setopt_long(raw, CURLOPT_FOLLOWLOCATION, 1)
                    _ = gg_setopt_long(raw, CURLOPT_MAXREDIRS, options.maxRedirects)
                    _ = gg_setopt_long(raw, CURLOPT_CONNECTTIMEOUT_MS, Int(options.connectTimeout * 1000))
                    // A stall (nothing received for stallTimeout seconds) aborts; the caller retries and resumes.
                    _ = gg_setopt_long(raw, CURLOPT_NOPROGRESS, 0)
                    _ = gg_setopt_xferinfo_callback(raw, watchProgress)
                    _ = gg_setopt_pointer(raw, CURLOPT_XFERINFODATA, statePointer)
                    _ = gg_setopt_string(raw, CURLOPT_USERAGENT, "gptoss-gl")
                    _ = gg_setopt_write_callback(raw, CURLOPT_WRITEFUNCTION, receiveBody)
                    _ = gg_setopt_pointer(raw, CURLOPT_WRITEDATA, statePointer)
                    _ = gg_setopt_write_callback(raw, CURLOPT_HEADERFUNCTION, receiveHeader)
                    _ = gg_setopt_pointer(raw, CURLOPT_HEADERDATA, statePointer)
                    let result = curl_easy_perform(raw)
                    _ = gg_setopt_pointer(raw, CURLOPT_ERRORBUFFER, nil)
                    return result
                }
            }
        }
        var status = 0
        _ = gg_getinfo_long(raw, CURLINFO_RESPONSE_CODE, &status)
        let detail = String(cString: errorBuffer)
        let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        return withExtendedLifetime(state) {
            RangeResponse(curlCode: code, curlMessage: message, status: state.rejectedStatus ?? status,
                          contentRange: state.contentRange, acceptRanges: state.acceptRanges,
                          etag: state.etag, lastModified: state.lastModified,
                          received: state.received, overflowed: state.overflowed, stalled: state.stalled, tooSlow: state.tooSlow)
        }
    }
}

/// `Content-Range: bytes first-last/total` (total may be `*`), or `bytes */total` on a 416.
struct ContentRange: Equatable {
    var first: UInt64?
    var last: UInt64?
    var total: UInt64?

    init?(_ header: String) {
        let text = header.trimmingCharacters(in: .whitespaces)
        guard text.lowercased().hasPrefix("bytes") else { return nil }
        let spec = text.dropFirst(5).trimmingCharacters(in: .whitespaces)
        let halves = spec.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard halves.count == 2 else { return nil }
        total = halves[1] == "*" ? nil : UInt64(halves[1])
        if halves[1] != "*" && total == nil { return nil }
        if halves[0] == "*" { return }
        let bounds = halves[0].split(separator: "-", maxSplits: 1)
        guard bounds.count == 2, let a = UInt64(bounds[0]), let b = UInt64(bounds[1]), a <= b else { return nil }
        first = a
        last = b
    }
}
