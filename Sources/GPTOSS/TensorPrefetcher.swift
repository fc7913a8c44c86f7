import Foundation
import GGUF

/// A tensor's raw file bytes in memory, with how long reading them took. The memory goes back to
/// the prefetcher's allowance when the value is released.
final class RawTensor {
    let info: GGUFTensorInfo
    let bytes: UnsafeMutableRawBufferPointer
    let readSeconds: Double
    /// The allocation `bytes` lies in (possibly larger: reused memory).
    private let storage: UnsafeMutableRawBufferPointer
    private let onRelease: (UnsafeMutableRawBufferPointer, Int) -> Void

    init(info: GGUFTensorInfo, storage: UnsafeMutableRawBufferPointer, count: Int, readSeconds: Double,
         onRelease: @escaping (UnsafeMutableRawBufferPointer, Int) -> Void) {
        self.info = info; self.storage = storage; self.readSeconds = readSeconds; self.onRelease = onRelease
        bytes = UnsafeMutableRawBufferPointer(rebasing: storage[0 ..< count])
    }

    /// Hands the memory back (for reuse, or freed).
    deinit { onRelease(storage, bytes.count) }

    var pointer: UnsafeRawPointer { UnsafeRawPointer(bytes.baseAddress!) }
}

/// Reads tensors ahead of the placement on a background thread, in the order placement will ask
/// for them, so the file is being read while the previous tensor is repacked and uploaded.
///
/// At most `aheadBytes` of read-but-unreleased tensors exist at once (one larger tensor alone is
/// allowed). A local file's tensor is read by several threads at once in `pieceBytes` pieces;
/// an HTTP source is asked for the whole tensor (it splits ranges itself). Asking for a tensor
/// out of the planned order still works: it is read on the calling thread (counted in
/// `unplannedReads`, which a test keeps at zero).
final class TensorPrefetcher: @unchecked Sendable {
    let file: GGUFFile
    let plan: [GGUFTensorInfo]
    let aheadBytes: Int
    static let pieceBytes = 16 << 20

    private let condition = NSCondition()
    private var ready: [String: Result<RawTensor, Error>] = [:]
    private var next = 0
    private var heldBytes = 0
    private var cancelled = false
    private var started = false
    /// Placement waits for the next planned tensor: the reader must read it whatever the allowance.
    private var consumerWaiting = false
    private(set) var unplannedReads = 0
    /// Allocations of released tensors, reused by later reads so their pages are touched once.
    private var spare: [UnsafeMutableRawBufferPointer] = []

    deinit { for storage in spare { storage.deallocate() } }

    init(file: GGUFFile, plan: [GGUFTensorInfo], aheadBytes: Int = 1 << 30) {
        self.file = file; self.plan = plan; self.aheadBytes = aheadBytes
    }

    /// Starts the reader thread.
    func start() {
        condition.lock(); started = true; condition.unlock()
        let thread = Thread { [self] in readAll() }
        thread.name = "gptoss-gl tensor prefetch"
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Stops reading ahead (after an error in placement, or when done).
    func cancel() {
        condition.lock()
        cancelled = true
        // Released after unlocking: a RawTensor's release takes the lock again.
        var dropped = ready
        ready = [:]
        condition.broadcast()
        condition.unlock()
        dropped.removeAll()
    }

    /// The bytes of `name`: the prefetched copy when it is the next planned tensor, else read now.
    func take(_ name: String) throws -> RawTensor {
        condition.lock()
        guard started, next < plan.count, plan[next].name == name else {
            unplannedReads += 1
            condition.unlock()
            guard let info = file.tensor(named: name) else { throw GPTOSSError.missingTensor(name: name) }
            return try read(info)
        }
        next += 1
        consumerWaiting = true
        condition.broadcast()
        while ready[name] == nil && !cancelled { condition.wait() }
        consumerWaiting = false
        let result = ready.removeValue(forKey: name)
        condition.unlock()
        guard let result else { throw CancellationError() }
        return try result.get()
    }

    private func readAll() {
        for info in plan {
            let size = Int(info.byteCount)
            condition.lock()
            while !cancelled && !consumerWaiting && heldBytes > 0 && heldBytes + size > aheadBytes { condition.wait() }
            if cancelled { condition.unlock(); return }
            heldBytes += size
            condition.unlock()
            let result = Result { try read(info, counted: false) }
            condition.lock()
            if cancelled {
                condition.unlock()
                return
            }
            ready[info.name] = result
            condition.broadcast()
            condition.unlock()
            if case .failure = result { return }
        }
    }

    /// Reads one tensor into new memory. `counted`: the bytes were not yet added to `heldBytes`.
    private func read(_ info: GGUFTensorInfo, counted: Bool = true) throws -> RawTensor {
        let size = Int(info.byteCount)
        if counted { condition.lock(); heldBytes += size; condition.unlock() }
        let release: (UnsafeMutableRawBufferPointer, Int) -> Void = { [weak self] storage, bytes in
            guard let self else { storage.deallocate(); return }
            self.condition.lock()
            self.heldBytes -= bytes
            let pooled = self.spare.reduce(0) { $0 + $1.count }
            if !self.cancelled && pooled + storage.count <= self.aheadBytes { self.spare.append(storage) } else { storage.deallocate() }
            self.condition.broadcast()
            self.condition.unlock()
        }
        condition.lock()
        // The smallest spare allocation that fits, else a new one.
        let fit = spare.indices.filter { spare[$0].count >= size }.min { spare[$0].count < spare[$1].count }
        let storage = fit.map { spare.remove(at: $0) } ?? .allocate(byteCount: max(size, 1), alignment: 64)
        condition.unlock()
        let start = Date()
        do {
            try readPieces(info, into: UnsafeMutableRawBufferPointer(rebasing: storage[0 ..< size]))
        } catch {
            release(storage, size)
            throw error
        }
        return RawTensor(info: info, storage: storage, count: size, readSeconds: Date().timeIntervalSince(start), onRelease: release)
    }

    private func readPieces(_ info: GGUFTensorInfo, into buffer: UnsafeMutableRawBufferPointer) throws {
        let isLocalFile = info.sourceIndex >= 0 && info.sourceIndex < file.sources.count && file.sources[info.sourceIndex] is FileByteSource
        let pieces = (buffer.count + Self.pieceBytes - 1) / Self.pieceBytes
        guard isLocalFile, pieces > 1 else {
            try file.readTensorData(info, into: buffer)
            return
        }
        let errors = ErrorSlot()
        let base = UInt(bitPattern: buffer.baseAddress), total = buffer.count
        DispatchQueue.concurrentPerform(iterations: pieces) { piece in
            let offset = piece * Self.pieceBytes
            let count = min(Self.pieceBytes, total - offset)
            let window = UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(bitPattern: base)! + offset, count: count)
            do { try file.readTensorBytes(info, at: UInt64(offset), into: window) } catch { errors.set(error) }
        }
        if let error = errors.first { throw error }
    }
}

/// The first error raised by any of several threads.
private final class ErrorSlot: @unchecked Sendable {
    private let lock = NSLock()
    private var error: Error?
    func set(_ e: Error) { lock.lock(); if error == nil { error = e }; lock.unlock() }
    var first: Error? { lock.lock(); defer { lock.unlock() }; return error }
}
