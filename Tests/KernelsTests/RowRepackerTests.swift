import XCTest
import GLES
@testable import Kernels

/// The parallel, in-place repack (what loading uses) against `PackedWeights.repack` (the simple
/// one-thread version): byte-identical planes for every format and row map, padding included,
/// and the same bytes on the GPU through both upload methods.
final class RowRepackerTests: XCTestCase {
    /// Planes written by `RowRepacker` into memory full of garbage.
    func repacked(_ format: WeightFormat, cols: Int, source: RawRowMap, rows: Range<Int>, threads: Int) -> (scales: [UInt32], data: [UInt32]) {
        let scaleWords = format.scaleWordsPerRow(cols: cols) * rows.count
        let dataWords = format.dataVec4PerRow(cols: cols) * 4 * rows.count
        var scales = [UInt32](repeating: 0xabab_abab, count: max(scaleWords, 1))
        var data = [UInt32](repeating: 0xcdcd_cdcd, count: dataWords)
        scales.withUnsafeMutableBytes { s in
            data.withUnsafeMutableBytes { d in
                RowRepacker.repack(format: format, cols: cols, source: source, rows: rows,
                                   scales: scaleWords > 0 ? s.baseAddress : nil, data: d.baseAddress!, threads: threads)
            }
        }
        return (scaleWords > 0 ? scales : [], data)
    }

    func testPlanesMatchTheSimpleRepackForEveryFormat() throws {
        var rng = SeededRNG(test: "row repacker")
        for format in WeightFormat.allCases {
            // Enough rows to cross the parallel threshold (1 MiB of raw bytes).
            let cols = 160, rows = (1 << 20) / format.rawByteCount(rows: 1, cols: cols) + 37
            let raw = rng.bytes(format.rawByteCount(rows: rows, cols: cols))
            let packed = try PackedWeights.repack(raw: raw, format: format, rows: rows, cols: cols)
            for threads in [1, 3, 16] {
                let got = raw.withUnsafeBytes { r in
                    repacked(format, cols: cols, source: .contiguous(r.baseAddress!, rows: rows, rowBytes: format.rawByteCount(rows: 1, cols: cols)),
                             rows: 0 ..< rows, threads: threads)
                }
                XCTAssertEqual(got.scales, packed.scales, "\(format) scales, \(threads) threads")
                XCTAssertEqual(got.data, packed.data, "\(format) data, \(threads) threads")
            }
            // A row range in the middle (a chunk of a split tensor).
            let got = raw.withUnsafeBytes { r in
                repacked(format, cols: cols, source: .contiguous(r.baseAddress!, rows: rows, rowBytes: format.rawByteCount(rows: 1, cols: cols)),
                         rows: 5 ..< 17, threads: 4)
            }
            let slice = packed.rows(5 ..< 17)
            XCTAssertEqual(got.scales, slice.scales, "\(format) row range scales")
            XCTAssertEqual(got.data, slice.data, "\(format) row range data")
        }
    }

    func testFusedMapsMatchConcatenationAndGateUpInterleaving() throws {
        var rng = SeededRNG(test: "row maps")
        for format in [WeightFormat.q8_0, .mxfp4, .bf16] {
            let cols = 64, experts = 5, perExpert = 7
            let rowBytes = format.rawByteCount(rows: 1, cols: cols)
            let gateRaw = rng.bytes(rowBytes * experts * perExpert), upRaw = rng.bytes(rowBytes * experts * perExpert)
            let gate = try PackedWeights.repack(raw: gateRaw, format: format, rows: experts * perExpert, cols: cols)
            let up = try PackedWeights.repack(raw: upRaw, format: format, rows: experts * perExpert, cols: cols)
            let fused = try PackedWeights.fusedGateUp(gate: gate, up: up, experts: experts)
            let concatenated = try PackedWeights.concatenatingRows([gate, up, gate])
            gateRaw.withUnsafeBytes { g in
                upRaw.withUnsafeBytes { u in
                    let interleaved = RawRowMap.interleaved([g.baseAddress!, u.baseAddress!], rowsPerPart: perExpert, units: experts, rowBytes: rowBytes)
                    let a = repacked(format, cols: cols, source: interleaved, rows: 0 ..< interleaved.rows, threads: 2)
                    XCTAssertEqual(a.scales, fused.scales, "\(format) gate/up scales")
                    XCTAssertEqual(a.data, fused.data, "\(format) gate/up data")
                    let stacked = RawRowMap.concatenated([(experts * perExpert, g.baseAddress!), (experts * perExpert, u.baseAddress!),
                                                          (experts * perExpert, g.baseAddress!)], rowBytes: rowBytes)
                    let b = repacked(format, cols: cols, source: stacked, rows: 0 ..< stacked.rows, threads: 2)
                    XCTAssertEqual(b.scales, concatenated.scales, "\(format) concatenated scales")
                    XCTAssertEqual(b.data, concatenated.data, "\(format) concatenated data")
                }
            }
        }
    }

    /// Both upload methods put the same bytes on the GPU, split into several chunks.
    func testMappedAndStagedUploadsHoldThePackedPlanes() throws {
        var rng = SeededRNG(test: "weight upload")
        for format in [WeightFormat.mxfp4, .f16] {
            let rows = 48, cols = 96
            let raw = rng.bytes(format.rawByteCount(rows: rows, cols: cols))
            let packed = try PackedWeights.repack(raw: raw, format: format, rows: rows, cols: cols)
            for method in WeightUploadMethod.allCases {
                let weights = try raw.withUnsafeBytes { r in
                    let map = RawRowMap.contiguous(r.baseAddress!, rows: rows, rowBytes: format.rawByteCount(rows: 1, cols: cols))
                    return try GPUWeights(context: GPU.context, format: format, rows: rows, cols: cols, label: "upload \(method)",
                                          rowsPerUnit: 4, maxChunkBytes: packed.dataWordsPerRow * 4 * 12, upload: method) { range, s, d in
                        RowRepacker.repack(format: format, cols: cols, source: map, rows: range, scales: s, data: d, threads: 2)
                    }
                }
                XCTAssertEqual(weights.chunks.count, 4, "\(format) \(method): 12 rows a chunk")
                for chunk in weights.chunks {
                    let slice = packed.rows(chunk.rowStart ..< chunk.rowStart + chunk.rowCount)
                    XCTAssertEqual(try chunk.data.readUInt32s(), slice.data, "\(format) \(method) data rows \(chunk.rowStart)")
                    if packed.scaleWordsPerRow > 0 {
                        XCTAssertEqual(try chunk.scales.readUInt32s(), slice.scales, "\(format) \(method) scales rows \(chunk.rowStart)")
                    }
                }
            }
        }
    }
}
