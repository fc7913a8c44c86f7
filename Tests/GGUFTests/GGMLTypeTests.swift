import XCTest
@testable import GGUF

final class GGMLTypeTests: XCTestCase {
    func testBlockGeometryMatchesGGML() {
        let expected: [(GGMLType, UInt32, Int, Int)] = [
            (.f32, 0, 1, 4), (.f16, 1, 1, 2), (.q4_0, 2, 32, 18), (.q4_1, 3, 32, 20), (.q5_0, 6, 32, 22),
            (.q5_1, 7, 32, 24), (.q8_0, 8, 32, 34), (.q8_1, 9, 32, 36), (.q2_K, 10, 256, 84), (.q3_K, 11, 256, 110),
            (.q4_K, 12, 256, 144), (.q5_K, 13, 256, 176), (.q6_K, 14, 256, 210), (.q8_K, 15, 256, 292),
            (.iq2_XXS, 16, 256, 66), (.iq2_XS, 17, 256, 74), (.iq3_XXS, 18, 256, 98), (.iq1_S, 19, 256, 50),
            (.iq4_NL, 20, 32, 18), (.iq3_S, 21, 256, 110), (.iq2_S, 22, 256, 82), (.iq4_XS, 23, 256, 136),
            (.i8, 24, 1, 1), (.i16, 25, 1, 2), (.i32, 26, 1, 4), (.i64, 27, 1, 8), (.f64, 28, 1, 8),
            (.iq1_M, 29, 256, 56), (.bf16, 30, 1, 2), (.tq1_0, 34, 256, 54), (.tq2_0, 35, 256, 66),
            (.mxfp4, 39, 32, 17),
        ]
        for (type, raw, values, bytes) in expected {
            XCTAssertEqual(type.rawValue, raw, type.name)
            XCTAssertEqual(type.blockSize, values, type.name)
            XCTAssertEqual(type.typeSize, bytes, type.name)
            XCTAssertEqual(GGMLType(rawValue: raw), type)
        }
        for retired: UInt32 in [4, 5, 31, 32, 33, 36, 37, 38, 1000] { XCTAssertNil(GGMLType(rawValue: retired)) }
    }

    func testBytesForElementsChecksDivisibilityAndOverflow() {
        XCTAssertEqual(GGMLType.mxfp4.bytes(forElements: 2880 * 2880), 2880 * 2880 / 32 * 17)
        XCTAssertEqual(GGMLType.q8_0.bytes(forElements: 64), 68)
        XCTAssertEqual(GGMLType.f32.bytes(forElements: 3), 12)
        XCTAssertNil(GGMLType.q8_0.bytes(forElements: 33))
        XCTAssertNil(GGMLType.f32.bytes(forElements: UInt64.max / 2))
        XCTAssertNotNil(GGMLType.i8.bytes(forElements: UInt64.max))
        XCTAssertEqual(GGMLType.q4_K.rowBytes(forElements: 512), 288)
        XCTAssertNil(GGMLType.q4_K.rowBytes(forElements: 100))
    }

    func testNamesRoundTrip() {
        for type in GGMLType.allCases { XCTAssertEqual(GGMLType(name: type.name.lowercased()), type) }
        XCTAssertNil(GGMLType(name: "Q9_9"))
    }
}
