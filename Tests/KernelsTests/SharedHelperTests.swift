import Foundation
import XCTest
@testable import Kernels

/// WGSL has no includes and the shaders stay plain WGSL (no preprocessor), so kernels that
/// decode the same weight formats carry their own copies of the decode helpers. This keeps the
/// copies from drifting apart: a helper of these names must read the same in every kernel that
/// has it (a fix to one copy must go to all).
final class SharedHelperTests: XCTestCase {
    /// Helpers meant to be one function in several files. (`q8x4` and `e8m0_f16` have two
    /// deliberate variants: the per-slot kernels convert int8 with shifts and keep tiny E8M0
    /// scales, the tiled ones build floats from bit patterns and flush exponents below 2.)
    static let shared = ["bf16x2", "fp4x4", "units_per_row", "unit_x", "unit_load", "unit_dot", "load_k", "load_v",
                         "precedes", "decode_part", "load_part", "store_quad", "store_x", "unit_part", "unit_quad",
                         "expert_dots", "pick_top_k"]

    func testSharedHelpersReadTheSameInEveryKernel() throws {
        let wgsl = try ShaderLibrary.located().directory.deletingLastPathComponent().appendingPathComponent("wgsl")
        var copies: [String: [(file: String, text: String)]] = [:]
        for file in try FileManager.default.contentsOfDirectory(atPath: wgsl.path).sorted() where file.hasSuffix(".wgsl") {
            let source = try String(contentsOf: wgsl.appendingPathComponent(file), encoding: .utf8)
            for name in Self.shared {
                guard let start = source.range(of: "\nfn \(name)(") else { continue }
                guard let end = source.range(of: "\n}\n", range: start.upperBound ..< source.endIndex) else {
                    XCTFail("\(file): fn \(name) has no closing brace at the start of a line"); continue
                }
                copies[name, default: []].append((file, String(source[start.lowerBound ..< end.upperBound])))
            }
        }
        XCTAssertGreaterThanOrEqual(copies["fp4x4"]?.count ?? 0, 6, "the MXFP4 kernels were found")
        XCTAssertEqual(copies["pick_top_k"]?.count, 2, "both decode routers were found")
        for (name, found) in copies.sorted(by: { $0.key < $1.key }) {
            for other in found.dropFirst() where other.text != found[0].text {
                XCTFail("fn \(name) differs between \(found[0].file) and \(other.file): change every copy together")
            }
        }
    }
}
