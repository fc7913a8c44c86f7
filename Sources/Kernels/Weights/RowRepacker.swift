import Foundation

/// Repacks raw ggml rows into the kernels' planes (see `PackedWeights`), writing straight into
/// caller-owned memory (a mapped GPU buffer or a staging area) on several threads.
///
/// Every byte of the destination rows is written, padding included, so the destination may
/// start with any contents (a freshly mapped, invalidated buffer). The result is byte for byte
/// what `PackedWeights.repack` builds.
public enum RowRepacker {
    /// Threads used by default: every core the process may run on.
    public static var defaultThreads: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// Below this many raw bytes a repack runs on the calling thread (threads cost more than they save).
    static let parallelThresholdBytes = 1 << 20

    /// Writes rows `rows` of `source` into `scales` (the scale plane of those rows; nil or
    /// ignored for float formats) and `data` (their data plane), row `rows.lowerBound` first.
    public static func repack(format: WeightFormat, cols: Int, source: RawRowMap, rows: Range<Int>,
                              scales: UnsafeMutableRawPointer?, data: UnsafeMutableRawPointer,
                              threads: Int = RowRepacker.defaultThreads) {
        let geometry = Geometry(format: format, cols: cols)
        let count = rows.count
        guard count > 0 else { return }
        let jobs = source.rowBytes * count < parallelThresholdBytes ? 1 : min(count, max(1, threads) * 4)
        let scalesAddress = UInt(bitPattern: scales), dataAddress = UInt(bitPattern: data)
        let body = { (job: Int) in
            let first = count * job / jobs, last = count * (job + 1) / jobs
            let scaleBase = UnsafeMutableRawPointer(bitPattern: scalesAddress)
            let dataBase = UnsafeMutableRawPointer(bitPattern: dataAddress)!
            for i in first ..< last {
                geometry.repackRow(source.row(rows.lowerBound + i),
                                   scales: scaleBase.map { $0 + i * geometry.scaleRowBytes },
                                   data: dataBase + i * geometry.dataRowBytes)
            }
        }
        if jobs == 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: jobs, execute: body) }
    }

    /// One row's sizes in the file and in both planes.
    struct Geometry {
        let format: WeightFormat
        let blocks: Int
        let scaleRowBytes: Int
        let dataRowBytes: Int
        let rawRowBytes: Int

        init(format: WeightFormat, cols: Int) {
            self.format = format
            blocks = cols / 32
            scaleRowBytes = format.scaleWordsPerRow(cols: cols) * 4
            dataRowBytes = format.dataVec4PerRow(cols: cols) * 16
            rawRowBytes = format.rawByteCount(rows: 1, cols: cols)
        }

        /// The scale plane of a row is a byte array (little-endian words): MXFP4 puts block b's
        /// E8M0 byte at byte b, Q8_0 block b's f16 at bytes 2b, 2b+1; the rest is zero padding.
        @inline(__always)
        func repackRow(_ src: UnsafeRawPointer, scales: UnsafeMutableRawPointer?, data: UnsafeMutableRawPointer) {
            switch format {
            case .f32, .f16, .bf16:
                data.copyMemory(from: src, byteCount: dataRowBytes)
            case .mxfp4:
                let scaleRow = scales!
                for b in 0 ..< blocks {
                    let block = src + b * 17
                    scaleRow.storeBytes(of: block.load(as: UInt8.self), toByteOffset: b, as: UInt8.self)
                    let lo = block.loadUnaligned(fromByteOffset: 1, as: UInt64.self)
                    let hi = block.loadUnaligned(fromByteOffset: 9, as: UInt64.self)
                    data.storeBytes(of: lo, toByteOffset: b * 16, as: UInt64.self)
                    data.storeBytes(of: hi, toByteOffset: b * 16 + 8, as: UInt64.self)
                }
                if scaleRowBytes > blocks { (scaleRow + blocks).initializeMemory(as: UInt8.self, repeating: 0, count: scaleRowBytes - blocks) }
            case .q8_0:
                let scaleRow = scales!
                for b in 0 ..< blocks {
                    let block = src + b * 34
                    scaleRow.storeBytes(of: block.loadUnaligned(as: UInt16.self), toByteOffset: 2 * b, as: UInt16.self)
                    for word in 0 ..< 4 {
                        let value = block.loadUnaligned(fromByteOffset: 2 + 8 * word, as: UInt64.self)
                        data.storeBytes(of: value, toByteOffset: b * 32 + 8 * word, as: UInt64.self)
                    }
                }
                let used = 2 * blocks
                if scaleRowBytes > used { (scaleRow + used).initializeMemory(as: UInt8.self, repeating: 0, count: scaleRowBytes - used) }
            }
        }
    }
}
