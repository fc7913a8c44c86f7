import Foundation
import GLES
import XCTest
@testable import WGSL

/// Small WGSL programs translated and run on the GLES device (llvmpipe in CI), checked against
/// a CPU computation of WGSL's semantics: the places where GLSL differs from WGSL are exactly
/// where a translator bug would hide.
final class ExecutionTests: XCTestCase {
    private static let context = Result { try GLContext.createHeadless() }

    /// Translates `wgsl`, binds `inputs` (u32 words) to the bindings named in the reflection,
    /// runs `groups` workgroups and returns the words of the binding named `output`.
    private func run(_ wgsl: String, inputs: [String: [UInt32]], output: String, outputWords: Int,
                     groups: Int = 1, defines: [String: String] = [:]) throws -> [UInt32] {
        let context = try Self.context.get()
        let translated = try WGSLTranslator.translate(source: wgsl, fileName: "execution.wgsl")
        let program = try context.makeProgram(name: "execution", glsl: specialise(translated.glsl, defines))
        var storage: [StorageBinding] = []
        var outputBuffer: GPUBuffer?
        for binding in translated.reflection.bindings {
            if binding.name == output {
                let buffer = try context.makeBuffer(array: [UInt32](repeating: 0, count: outputWords), label: output)
                outputBuffer = buffer
                storage.append(StorageBinding(index: binding.glslBinding, buffer: buffer))
            } else {
                let words = try XCTUnwrap(inputs[binding.name], "no input for binding '\(binding.name)'")
                storage.append(StorageBinding(index: binding.glslBinding, buffer: try context.makeBuffer(array: words, label: binding.name)))
            }
        }
        try context.dispatch(program, storage: storage, groups: (groups, 1, 1))
        context.barrier()
        return try XCTUnwrap(outputBuffer).readUInt32s(count: outputWords)
    }

    /// Defines override macros right after the #version / #extension lines, as the host does.
    private func specialise(_ glsl: String, _ defines: [String: String]) -> String {
        var lines = glsl.components(separatedBy: "\n")
        let insertAt = (lines.lastIndex { $0.hasPrefix("#version") || $0.hasPrefix("#extension") } ?? 0) + 1
        lines.insert(contentsOf: defines.keys.sorted().map { "#define OVERRIDE_\($0) \(defines[$0]!)" }, at: insertAt)
        return lines.joined(separator: "\n")
    }

    private static func wgslDivide(_ a: Int32, _ b: Int32) -> Int32 {
        (b == 0 || (a == .min && b == -1)) ? a : a / b
    }

    private static func wgslRemainder(_ a: Int32, _ b: Int32) -> Int32 {
        (b == 0 || (a == .min && b == -1)) ? 0 : a % b
    }

    func testIntegerDivisionRemainderAndShiftsFollowWGSL() throws {
        let wgsl = """
        @group(0) @binding(0) var<storage, read> a: array<i32>;
        @group(0) @binding(1) var<storage, read> b: array<i32>;
        @group(0) @binding(2) var<storage, read_write> result: array<i32>;

        @compute @workgroup_size(16)
        fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
            let i = gid.x;
            if i >= arrayLength(&a) { return; }
            let x = a[i];
            let y = b[i];
            result[8u * i + 0u] = x / y;
            result[8u * i + 1u] = x % y;
            result[8u * i + 2u] = x << u32(y);
            result[8u * i + 3u] = x >> u32(y);
            result[8u * i + 4u] = i32(u32(x) / u32(y));
            result[8u * i + 5u] = i32(u32(x) % u32(y));
            result[8u * i + 6u] = i32(u32(x) >> u32(y));
            let v = vec2<i32>(x, -x) % vec2<i32>(y);
            result[8u * i + 7u] = v.x + v.y;
        }
        """
        let pairs: [(Int32, Int32)] = [(7, 0), (-7, 0), (0, 0), (7, 2), (-7, 2), (7, -2), (-7, -2), (.min, -1),
                                       (.min, 1), (.max, -1), (1, 31), (1, 32), (-1, 33), (5, 64), (123456, -3), (-1, -1)]
        let out = try run(wgsl, inputs: ["a": pairs.map { UInt32(bitPattern: $0.0) }, "b": pairs.map { UInt32(bitPattern: $0.1) }],
                          output: "result", outputWords: 8 * pairs.count).map { Int32(bitPattern: $0) }
        for (i, (x, y)) in pairs.enumerated() {
            let ux = UInt32(bitPattern: x), uy = UInt32(bitPattern: y)
            let shift = uy & 31
            let expected: [Int32] = [
                Self.wgslDivide(x, y), Self.wgslRemainder(x, y), x << Int32(shift), x >> Int32(shift),
                Int32(bitPattern: uy == 0 ? ux : ux / uy), Int32(bitPattern: uy == 0 ? 0 : ux % uy),
                Int32(bitPattern: ux >> shift), Self.wgslRemainder(x, y) &+ Self.wgslRemainder(0 &- x, y),
            ]
            XCTAssertEqual(Array(out[(8 * i)..<(8 * i + 8)]), expected, "x = \(x), y = \(y)")
        }
    }

    func testLoopsSwitchAndFunctionsMatchCPU() throws {
        let wgsl = """
        @group(0) @binding(0) var<storage, read> starts: array<u32>;
        @group(0) @binding(1) var<storage, read_write> result: array<u32>;

        fn steps(start: u32) -> u32 {
            var n = start;
            var count = 0u;
            loop {
                if n <= 1u { break; }
                if n % 2u == 0u { n = n / 2u; continue; }
                n = 3u * n + 1u;
                continuing {
                    count += 1u;
                    break if count >= 500u;
                }
            }
            return count;
        }

        fn bump(value: ptr<function, u32>, by: u32) { *value += by; }

        @compute @workgroup_size(8)
        fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
            let i = gid.x;
            var odd_sum = 0u;
            for (var k = 0u; k < starts[i] % 20u; k++) {
                if k % 2u == 0u { continue; }
                bump(&odd_sum, k);
            }
            var w = 0u;
            while w * w < starts[i] { w++; }
            var tag = 0u;
            switch starts[i] % 4u {
                case 0u: { tag = 100u; }
                case 1u, 2u: { tag = 200u; if starts[i] > 50u { break; } tag += 1u; }
                default: { tag = 300u; }
            }
            result[i] = steps(starts[i]) * 1000000u + odd_sum * 10000u + w * 1000u + tag;
        }
        """
        let starts: [UInt32] = [1, 2, 3, 7, 27, 97, 100, 871]
        let out = try run(wgsl, inputs: ["starts": starts], output: "result", outputWords: starts.count)
        for (i, start) in starts.enumerated() {
            var n = start, count: UInt32 = 0
            while n > 1 && count < 500 {
                n = n % 2 == 0 ? n / 2 : 3 * n + 1
                count += 1
            }
            // The continuing block runs after `continue` too, so halvings count as steps.
            let oddSum = (0..<(start % 20)).filter { $0 % 2 == 1 }.reduce(0, +)
            var w: UInt32 = 0
            while w * w < start { w += 1 }
            let tag: UInt32
            switch start % 4 {
            case 0: tag = 100
            case 1, 2: tag = start > 50 ? 200 : 201
            default: tag = 300
            }
            XCTAssertEqual(out[i], count * 1_000_000 + oddSum * 10_000 + w * 1000 + tag, "start = \(start)")
        }
    }

    func testWorkgroupReductionWithSpecialisedOverride() throws {
        let wgsl = """
        override WG: u32 = 64;
        @group(0) @binding(0) var<storage, read> values: array<f32>;
        @group(0) @binding(1) var<storage, read_write> sums: array<f32>;
        var<workgroup> partial: array<f32, WG>;

        @compute @workgroup_size(WG)
        fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) group: vec3<u32>) {
            partial[lid] = values[group.x * WG + lid];
            workgroupBarrier();
            for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
                if lid < stride { partial[lid] += partial[lid + stride]; }
                workgroupBarrier();
            }
            if lid == 0u { sums[group.x] = partial[0]; }
        }
        """
        let values = (0..<256).map { Float(($0 * 7919) % 2001 - 1000) / 1000 }
        for workgroupSize in [64, 32] {
            let groups = values.count / workgroupSize
            let out = try run(wgsl, inputs: ["values": values.map(\.bitPattern)], output: "sums", outputWords: groups,
                              groups: groups, defines: workgroupSize == 64 ? [:] : ["WG": "\(workgroupSize)"])
            for g in 0..<groups {
                let expected = values[(g * workgroupSize)..<((g + 1) * workgroupSize)].reduce(0, +)
                XCTAssertEqual(Float(bitPattern: out[g]), expected, accuracy: 1e-4, "WG \(workgroupSize), group \(g)")
            }
        }
    }

    func testAtomicsCountExactly() throws {
        let wgsl = """
        struct Totals { count: atomic<u32>, signed_sum: atomic<i32>, maximum: atomic<u32>, swapped: atomic<u32> }
        @group(0) @binding(0) var<storage, read> values: array<u32>;
        @group(0) @binding(1) var<storage, read_write> totals: Totals;
        var<workgroup> local_count: atomic<u32>;

        @compute @workgroup_size(64)
        fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
            if lid == 0u { atomicStore(&local_count, 0u); }
            workgroupBarrier();
            let v = values[gid.x];
            if v % 3u == 0u { atomicAdd(&local_count, 1u); }
            atomicSub(&totals.signed_sum, i32(v));
            atomicMax(&totals.maximum, v);
            let result = atomicCompareExchangeWeak(&totals.swapped, 0u, gid.x + 1u);
            workgroupBarrier();
            if lid == 0u { atomicAdd(&totals.count, atomicLoad(&local_count)); }
        }
        """
        let values = (0..<256).map { UInt32(($0 * 7919) % 1000) }
        let out = try run(wgsl, inputs: ["values": values], output: "totals", outputWords: 4, groups: 4)
        XCTAssertEqual(out[0], UInt32(values.filter { $0 % 3 == 0 }.count))
        XCTAssertEqual(Int32(bitPattern: out[1]), -Int32(values.reduce(0, +)))
        XCTAssertEqual(out[2], values.max())
        XCTAssertTrue((1...256).contains(out[3]), "exactly one compare-exchange wins: \(out[3])")
    }

    func testBitBuiltinsAndPackingMatchCPU() throws {
        let wgsl = """
        @group(0) @binding(0) var<storage, read> words: array<u32>;
        @group(0) @binding(1) var<storage, read_write> result: array<u32>;

        @compute @workgroup_size(8)
        fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
            let w = words[gid.x];
            let o = 8u * gid.x;
            result[o + 0u] = extractBits(w, 4u, 8u);
            result[o + 1u] = u32(extractBits(i32(w), 28u, 8u));
            result[o + 2u] = insertBits(w, 0xAu, 30u, 4u);
            result[o + 3u] = countLeadingZeros(w) * 100u + countTrailingZeros(w);
            result[o + 4u] = firstLeadingBit(w);
            result[o + 5u] = u32(firstLeadingBit(i32(w)));
            result[o + 6u] = pack2x16float(unpack2x16float(w) * 2.0);
            result[o + 7u] = countOneBits(w) + reverseBits(w);
        }
        """
        let words: [UInt32] = [0, 1, 0x8000_0000, 0xFFFF_FFFF, 0x3C00_4000, 0x1234_5678, 0x7FFF_FFFF, 0x0001_0000]
        let out = try run(wgsl, inputs: ["words": words], output: "result", outputWords: 8 * words.count)
        for (i, w) in words.enumerated() {
            let clz = UInt32(w.leadingZeroBitCount), ctz = UInt32(w.trailingZeroBitCount)
            let signedLeading: UInt32 = {
                let s = Int32(bitPattern: w)
                let probe = s < 0 ? ~w : w
                return probe == 0 ? .max : UInt32(31 - probe.leadingZeroBitCount)
            }()
            let doubledHalves: UInt32 = {
                func doubled(_ bits: UInt16) -> UInt16 { (Float16(bitPattern: bits) * 2).bitPattern }
                return UInt32(doubled(UInt16(w & 0xFFFF))) | (UInt32(doubled(UInt16(w >> 16))) << 16)
            }()
            let expected: [UInt32] = [
                (w >> 4) & 0xFF,
                UInt32(bitPattern: Int32(bitPattern: w) >> 28),
                (w & 0x3FFF_FFFF) | (0xA << 30),
                clz * 100 + ctz,
                w == 0 ? .max : UInt32(31 - w.leadingZeroBitCount),
                signedLeading,
                doubledHalves,
                UInt32(w.nonzeroBitCount) &+ Resolver.reverse(w),
            ]
            var actual = Array(out[(8 * i)..<(8 * i + 8)])
            let halves = [Float16(bitPattern: UInt16(w & 0xFFFF)), Float16(bitPattern: UInt16(w >> 16))]
            if !halves.allSatisfy({ ($0 * 2).isFinite }) { actual[6] = expected[6] }  // NaN payloads may differ
            XCTAssertEqual(actual, expected, String(format: "w = 0x%08x", w))
        }
    }

    /// A kernel with `enable subgroups;` whose subgroup code sits behind `if (SUBGROUPS == 1u)`
    /// compiles and runs on a driver without GL_KHR_shader_subgroup (llvmpipe) with the default
    /// SUBGROUPS = 0: the branch is preprocessed away and the extensions are only `enable`d.
    /// Where the device has subgroup arithmetic, SUBGROUPS = 1 with a subgroup-sized workgroup
    /// must give the same sums.
    func testSubgroupGuardedKernelRunsItsFallbackWithoutSubgroups() throws {
        let wgsl = """
        enable subgroups;
        override SUBGROUPS: u32 = 0u;
        override WG: u32 = 32u;
        @group(0) @binding(0) var<storage, read> values: array<f32>;
        @group(0) @binding(1) var<storage, read_write> sums: array<f32>;
        var<workgroup> partial: array<f32, WG>;

        @compute @workgroup_size(WG)
        fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) group: vec3<u32>) {
            let v = values[group.x * WG + lid];
            var total = 0.0;
            if (SUBGROUPS == 1u) {
                total = subgroupAdd(v);
            } else {
                partial[lid] = v;
                workgroupBarrier();
                for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
                    if lid < stride { partial[lid] += partial[lid + stride]; }
                    workgroupBarrier();
                }
                total = partial[0];
            }
            if lid == 0u { sums[group.x] = total; }
        }
        """
        let translated = try WGSLTranslator.translate(source: wgsl, fileName: "guarded.wgsl")
        XCTAssertTrue(translated.glsl.contains("#extension GL_KHR_shader_subgroup_arithmetic : enable"), translated.glsl)
        let context = try Self.context.get()
        var variants: [(workgroup: Int, defines: [String: String])] = [(32, [:]), (16, ["WG": "16", "SUBGROUPS": "0"])]
        if let subgroups = context.limits.subgroups, subgroups.computeSupported, subgroups.features.contains("arithmetic"),
           [8, 16, 32, 64].contains(subgroups.size) {
            variants.append((subgroups.size, ["WG": "\(subgroups.size)", "SUBGROUPS": "1"]))
        }
        let values = (0..<256).map { Float(($0 * 7919) % 2001 - 1000) / 1000 }
        for (workgroup, defines) in variants {
            let groups = values.count / workgroup
            let out = try run(wgsl, inputs: ["values": values.map(\.bitPattern)], output: "sums", outputWords: groups,
                              groups: groups, defines: defines)
            for g in 0..<groups {
                let expected = values[(g * workgroup)..<((g + 1) * workgroup)].reduce(0, +)
                XCTAssertEqual(Float(bitPattern: out[g]), expected, accuracy: 1e-4, "\(defines), group \(g)")
            }
        }
    }

    /// Runs where the device has GL_KHR_shader_subgroup with arithmetic in compute (NVIDIA);
    /// llvmpipe has no subgroups, so CI skips it and says why.
    func testSubgroupReductionMatchesCPU() throws {
        let context = try Self.context.get()
        guard let subgroups = context.limits.subgroups, subgroups.computeSupported,
              subgroups.features.contains(where: { $0.contains("arithmetic") }) else {
            throw XCTSkip("no subgroup arithmetic in compute shaders on \(context.limits.renderer)")
        }
        let wgsl = """
        enable subgroups;
        @group(0) @binding(0) var<storage, read> values: array<u32>;
        @group(0) @binding(1) var<storage, read_write> result: array<u32>;

        @compute @workgroup_size(64)
        fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(subgroup_invocation_id) lane: u32,
                @builtin(subgroup_size) width: u32) {
            let total = subgroupAdd(values[gid.x]);
            let top = subgroupMax(values[gid.x]);
            if lane == 0u {
                result[gid.x / width] = total * 1000u + top;
            }
        }
        """
        let values = (0..<64).map { UInt32(($0 * 37) % 11) }
        let width = subgroups.size
        let out = try run(wgsl, inputs: ["values": values], output: "result", outputWords: 64 / width)
        for g in 0..<(64 / width) {
            let slice = values[(g * width)..<((g + 1) * width)]
            XCTAssertEqual(out[g], slice.reduce(0, +) * 1000 + slice.max()!, "subgroup \(g) of \(width)")
        }
    }

    func testOutOfBoundsIndicesAreClamped() throws {
        let wgsl = """
        @group(0) @binding(0) var<storage, read> values: array<u32>;
        @group(0) @binding(1) var<storage, read_write> result: array<u32>;

        @compute @workgroup_size(1)
        fn main() {
            var local = array<u32, 4>(10u, 20u, 30u, 40u);
            var i = values[0];
            result[0] = values[i];
            result[1] = local[i];
            result[i] = 77u;
        }
        """
        let out = try run(wgsl, inputs: ["values": [1000, 5, 6]], output: "result", outputWords: 4)
        XCTAssertEqual(out, [6, 40, 0, 77], "reads and writes past the end land on the last element")
    }
}
