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
    /// Bytes written into the destination.
    var received: Int
    /// The server sent more bytes than asked for.
    var overflowed: Bool
    /// Nothing arrived for the stall timeout.
    var stalled: Bool
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
    /// When a byte last arrived (or the transfer started), for stall detection.
    var lastActivity = DispatchTime.now().uptimeNanoseconds
    let stallNanoseconds: UInt64
    var stalled = false

    init(handle: UnsafeMutableRawPointer, destination: UnsafeMutableRawBufferPointer, stallTimeout: Double) {
        self.handle = handle
        self.destination = destination
        self.stallNanoseconds = UInt64(stallTimeout * 1e9)
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

/// Aborts a transfer that has received nothing for the stall timeout. (libcurl's own low-speed
/// limit averages over several seconds, so it reacts late; this reacts within about a second.)
private let watchProgress: @convention(c) (UnsafeMutableRawPointer?, curl_off_t, curl_off_t, curl_off_t, curl_off_t) -> Int32 = { user, _, _, _, _ in
    let state = Unmanaged<TransferState>.fromOpaque(user!).takeUnretainedValue()
    if DispatchTime.now().uptimeNanoseconds &- state.lastActivity > state.stallNanoseconds {
        state.stalled = true
        return 1
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
    } else if let colon = line.firstIndex(of: ":") {
        let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        if name == "content-range" { state.contentRange = value }
        if name == "accept-ranges" { state.acceptRanges = value }
    }
    return length
}

extension CurlHandle {
    /// GETs bytes `first...last` of `url` into `destination` (which must hold last-first+1 bytes).
    func getRange(url: String, first: UInt64, last: UInt64, destination: UnsafeMutableRawBufferPointer,
                  options: HTTPOptions) -> RangeResponse {
        curl_easy_reset(raw)
        let state = TransferState(handle: raw, destination: destination, stallTimeout: options.stallTimeout)
        let statePointer = Unmanaged.passUnretained(state).toOpaque()
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let code: CURLcode = url.withCString { urlPointer in
            "\(first)-\(last)".withCString { rangePointer in
                errorBuffer.withUnsafeMutableBufferPointer { errorPointer in
                    _ = gg_setopt_string(raw, CURLOPT_URL, urlPointer)
                    _ = gg_setopt_string(raw, CURLOPT_RANGE, rangePointer)
                    _ = gg_setopt_pointer(raw, CURLOPT_ERRORBUFFER, errorPointer.baseAddress)
                    _ = gg_setopt_long(raw, CURLOPT_NOSIGNAL, 1)
                    _ = gg_setopt_long(raw, CURLOPT_FOLLOWLOCATION, 1)
                    _ = gg_setopt_long(raw, CURLOPT_MAXREDIRS, 10)
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
                          received: state.received, overflowed: state.overflowed, stalled: state.stalled)
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
