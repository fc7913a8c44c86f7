import Foundation
import GLES

/// How repacked weights reach a GPU buffer.
///
/// `mapped` repacks straight into the driver's memory (glMapBufferRange with the old contents
/// invalidated): no host copy of the planes exists at all. `staged` repacks into a host
/// staging area and hands it to glBufferSubData in pieces. Which is faster depends on the
/// driver: on Mesa llvmpipe mapping is several times slower, on the H200 (2026-11-27, synthetic
/// 20b) mapped loaded at 2.30 GB/s against 0.99 GB/s staged. The default is staged on CPU
/// renderers and mapped elsewhere; `GPTOSS_GL_UPLOAD=mapped|staged` (`ModelOptions.uploadMethod`)
/// overrides it.
public enum WeightUploadMethod: String, Sendable, CaseIterable {
    case mapped
    case staged

    /// The method for a device: `chosen` when given, else staged on a CPU renderer (llvmpipe,
    /// softpipe) and mapped on a GPU.
    public static func current(for limits: GPULimits, chosen: WeightUploadMethod? = nil) -> WeightUploadMethod {
        chosen ?? (limits.isSoftwareRenderer ? .staged : .mapped)
    }

    /// Fills rows `rows` of a chunk (its `scales` plane, nil for float formats, and `data`)
    /// through `fill`. Returns seconds spent inside `fill` and seconds spent moving bytes to
    /// the driver (map/unmap, or glBufferSubData).
    @discardableResult
    func write(rows: Range<Int>, scales: GPUBuffer?, data: GPUBuffer, staging reusable: StagingArea?,
               fill: (Range<Int>, UnsafeMutableRawPointer?, UnsafeMutableRawPointer) throws -> Void) throws
        -> (fill: Double, transfer: Double) {
        switch self {
        case .mapped:
            var t = Date()
            let scalePlane = try scales?.mapForWriting()
            let dataPlane: UnsafeMutableRawBufferPointer
            do { dataPlane = try data.mapForWriting() } catch { try? scales?.unmap(); throw error }
            var transfer = Date().timeIntervalSince(t)
            t = Date()
            var failure: Error?
            do { try fill(rows, scalePlane?.baseAddress, dataPlane.baseAddress!) } catch { failure = error }
            let filling = Date().timeIntervalSince(t)
            t = Date()
            let unmapped = Result { try data.unmap() }
            if scales != nil { try scales!.unmap() }
            try unmapped.get()
            if let failure { throw failure }
            transfer += Date().timeIntervalSince(t)
            return (filling, transfer)
        case .staged:
            let scaleBytes = scales?.byteCount ?? 0
            let area = reusable ?? StagingArea()
            let staging = area.bytes(scaleBytes + data.byteCount)
            var t = Date()
            try fill(rows, scaleBytes > 0 ? staging.baseAddress! : nil, staging.baseAddress! + scaleBytes)
            let filling = Date().timeIntervalSince(t)
            t = Date()
            if let scales { try scales.upload(UnsafeRawBufferPointer(rebasing: staging[0 ..< scaleBytes])) }
            try data.upload(UnsafeRawBufferPointer(rebasing: staging[scaleBytes...]))
            return (filling, Date().timeIntervalSince(t))
        }
    }
}

/// Host memory for staged uploads, kept between tensors so its pages are touched once (a fresh
/// allocation per tensor pays a page fault per 4 KiB). Grows to the largest chunk; freed with
/// the value.
public final class StagingArea {
    private var storage: UnsafeMutableRawBufferPointer?

    public init() {}

    deinit { storage?.deallocate() }

    /// At least `count` bytes, valid until the next call.
    func bytes(_ count: Int) -> UnsafeMutableRawBufferPointer {
        if let storage, storage.count >= count { return UnsafeMutableRawBufferPointer(rebasing: storage[0 ..< count]) }
        storage?.deallocate()
        let fresh = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 64)
        storage = fresh
        return UnsafeMutableRawBufferPointer(rebasing: fresh[0 ..< count])
    }
}
