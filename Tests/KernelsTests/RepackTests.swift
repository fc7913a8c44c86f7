import XCTest
@testable import Kernels

/// The CPU side of the weight formats: decoders against hand-made blocks, repacked planes against
/// the raw decoders, and the errors for bad input. No GPU needed.
final class RepackTests: XCTestCase {
    func testHalfFloatKnownValues() {
        XCTAssertEqual(HalfFloat.float(fromHalf: 0x3c00), 1)
        XCTAssertEqual(HalfFloat.float(fromHalf: 0xc000), -2)
        XCTAssertEqual(HalfFloat.float(fromHalf: 0x7bff), 65504)
        XCTAssertEqual(HalfFloat.float(fromHalf: 0x0001), Float(sign: .plus, exponent: -24, significand: 1))
        XCTAssertEqual(HalfFloat.float(fromHalf: 0x3555), 0.333251953125)
        XCTAssertEqual(HalfFloat.half(fromFloat: 1), 0x3c00)
        XCTAssertEqual(HalfFloat.half(fromFloat: -2), 0xc000)
        XCTAssertEqual(HalfFloat.half(fromFloat: 1.0 / 3.0), 0x3555)
        XCTAssertEqual(HalfFloat.half(fromFloat: 1e6), 0x7c00)
        XCTAssertEqual(HalfFloat.float(fromBFloat: 0x3f80), 1)
        XCTAssertEqual(HalfFloat.bfloat(fromFloat: 1.00390625), 0x3f80, "ties round to even")
        XCTAssertEqual(HalfFloat.bfloat(fromFloat: 1.01171875), 0x3f82)
    }

    func testQ8_0BlockDecodesScaleTimesInt8() throws {
        // Scale 0.5 (f16 0x3800), quants 0, 1, -1, ..., -128 at index 31.
        var block: [UInt8] = [0x00, 0x38]
        for j in 0 ..< 32 { block.append(UInt8(bitPattern: Int8(j == 31 ? -128 : (j % 2 == 0 ? j / 2 : -(j / 2 + 1))))) }
        let values = try GGMLBlocks.dequantize(raw: block, format: .q8_0, rows: 1, cols: 32)
        XCTAssertEqual(values[0], 0)
        XCTAssertEqual(values[1], -0.5)
        XCTAssertEqual(values[2], 0.5)
        XCTAssertEqual(values[31], -64)
    }

    func testMXFP4BlockFollowsTheNibbleLayout() throws {
        // e = 129 → scale 2; byte j: low nibble = element j, high nibble = element j + 16.
        var block: [UInt8] = [129]
        block += [0x21, 0xf7] + [UInt8](repeating: 0, count: 14)
        let values = try GGMLBlocks.dequantize(raw: block, format: .mxfp4, rows: 1, cols: 32)
        XCTAssertEqual(values[0], 2 * 1, "code 1 → 1")
        XCTAssertEqual(values[16], 2 * 2, "code 2 → 2")
        XCTAssertEqual(values[1], 2 * 12, "code 7 → 12")
        XCTAssertEqual(values[17], 2 * -12, "code 15 → -12")
        XCTAssertEqual(values[2], 0)
    }

    func testRepackedPlanesDecodeLikeTheRawBytes() throws {
        var rng = SeededRNG(test: "repack")
        for format in WeightFormat.allCases {
            let rows = 5, cols = 96
            let (raw, values) = try rng.tensor(format, rows: rows, cols: cols)
            let packed = try PackedWeights.repack(raw: raw, format: format, rows: rows, cols: cols)
            XCTAssertEqual(packed.dequantized(), values, "\(format)")
            XCTAssertEqual(packed.scaleWordsPerRow % 4, 0, "\(format): scale rows are 16-byte aligned")
            XCTAssertEqual(packed.data.count, rows * packed.dataVec4PerRow * 4)
            XCTAssertEqual(packed.rows(1 ..< 3).dequantized(), Array(values[cols ..< 3 * cols]), "\(format) row slice")
        }
    }

    func testQ8_0EncodeRoundTripsWithinHalfAStep() throws {
        var rng = SeededRNG(test: "q8 encode")
        let values = rng.floats(64, scale: 3)
        let decoded = try GGMLBlocks.dequantize(raw: try GGMLBlocks.encode(values, as: .q8_0), format: .q8_0, rows: 1, cols: 64)
        for block in 0 ..< 2 {
            let amax = values[block * 32 ..< block * 32 + 32].map { abs($0) }.max()!
            for j in block * 32 ..< block * 32 + 32 {
                XCTAssertEqual(decoded[j], values[j], accuracy: amax / 127 * 0.51 + 1e-3)
            }
        }
    }

    func testFusedGateUpInterleavesExperts() throws {
        var rng = SeededRNG(test: "fused gate/up")
        let (gateRaw, gate) = try rng.tensor(.q8_0, rows: 6, cols: 32)
        let (upRaw, up) = try rng.tensor(.q8_0, rows: 6, cols: 32)
        let fused = try PackedWeights.fusedGateUp(gate: try PackedWeights.repack(raw: gateRaw, format: .q8_0, rows: 6, cols: 32),
                                                  up: try PackedWeights.repack(raw: upRaw, format: .q8_0, rows: 6, cols: 32),
                                                  experts: 2)
        let expected = Array(gate[0 ..< 96] + up[0 ..< 96] + gate[96 ..< 192] + up[96 ..< 192])
        XCTAssertEqual(fused.dequantized(), expected)
        XCTAssertEqual(fusedGateUpBias(gate: [1, 2, 3, 4], up: [5, 6, 7, 8], experts: 2), [1, 2, 5, 6, 3, 4, 7, 8])
    }

    func testBadInputNamesTheTensor() {
        XCTAssertThrowsError(try PackedWeights.repack(raw: [UInt8](repeating: 0, count: 33), format: .q8_0, rows: 1, cols: 32,
                                                       tensor: "blk.0.attn_q.weight")) { error in
            XCTAssertTrue(error.localizedDescription.contains("blk.0.attn_q.weight"))
            XCTAssertTrue(error.localizedDescription.contains("34"))
        }
        XCTAssertThrowsError(try PackedWeights.repack(raw: [UInt8](repeating: 0, count: 40), format: .f32, rows: 1, cols: 10,
                                                       tensor: "odd")) { error in
            XCTAssertEqual(error as? KernelsError, .unsupportedShape(tensor: "odd", format: .f32, cols: 10))
        }
    }

    func testYarnFrequenciesFollowTheUnroundedRamp() {
        let yarn = YarnParameters(headDim: 64, theta: 150000, factor: 32, originalContext: 4096)
        let inv = yarn.inverseFrequencies
        XCTAssertEqual(inv.count, 32)
        XCTAssertEqual(yarn.concentration, 0.1 * log(32) + 1, accuracy: 1e-12)
        // Fast-rotating pairs keep their frequency, slow ones are divided by the factor.
        XCTAssertEqual(inv[0], 1, accuracy: 1e-12)
        XCTAssertEqual(inv[31], pow(150000, -62.0 / 64) / 32, accuracy: 1e-15)
        // Between the ends the ramp is linear in j and not rounded: low ≈ 8.09, high ≈ 17.4.
        let low = 64 * log(4096 / (32 * 2 * Double.pi)) / (2 * log(150000.0))
        let high = 64 * log(4096 / (1 * 2 * Double.pi)) / (2 * log(150000.0))
        let j = 12
        let ramp = (Double(j) - low) / (high - low)
        let plain = pow(150000, -Double(2 * j) / 64)
        XCTAssertEqual(inv[j], plain / 32 * ramp + plain * (1 - ramp), accuracy: 1e-15)
        XCTAssertEqual(YarnParameters(headDim: 16, theta: 10000).concentration, 1)
    }
}
