import Foundation
import XCTest
@testable import WGSL

/// The contract other modules rely on: override macros, reflection layouts, the binding rule.
final class TranslatorAPITests: XCTestCase {
    private let kernel = """
    struct Params { rows: u32, scale: f32, offset: vec3<f32>, count: u32 }
    struct Item { value: vec3<f32>, weight: f32 }
    override WG: u32 = 128;
    override EPS: f32 = 1e-6;
    @group(0) @binding(0) var<uniform> params: Params;
    @group(0) @binding(3) var<storage, read> items: array<Item>;
    @group(1) @binding(2) var<storage, read_write> out: array<f32>;
    @compute @workgroup_size(WG, 2)
    fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
        out[gid.x] = items[gid.x].weight * params.scale + EPS + params.offset.z;
    }
    """

    func testReflectionDescribesBindingsLayoutsAndOverrides() throws {
        let reflection = try XCTUnwrap(translateOrFail(kernel)).reflection
        XCTAssertEqual(reflection.entryPoint, "main")
        XCTAssertEqual(reflection.workgroupSize, [
            WorkgroupSizeReflection(value: nil, override: "WG", defaultValue: 128),
            WorkgroupSizeReflection(value: 2, override: nil, defaultValue: nil),
            WorkgroupSizeReflection(value: 1, override: nil, defaultValue: nil),
        ])
        XCTAssertEqual(reflection.bindings.map(\.glslBinding), [0, 3, 18], "group * 16 + binding")
        XCTAssertEqual(reflection.bindings.map(\.kind), [.uniform, .storageRead, .storageReadWrite])
        let params = try XCTUnwrap(reflection.bindings[0].layout)
        XCTAssertEqual(params.members.map(\.name), ["rows", "scale", "offset", "count"])
        XCTAssertEqual(params.members.map(\.offset), [0, 4, 16, 28], "vec3 aligns to 16 and the u32 after it packs into its tail")
        XCTAssertEqual(params.size, 32)
        XCTAssertEqual(reflection.bindings[1].runtimeArrayStride, 16)
        XCTAssertEqual(reflection.bindings[1].layout?.members.map(\.offset), [0, 12])
        XCTAssertEqual(reflection.overrides.map(\.name), ["WG", "EPS"])
        XCTAssertEqual(reflection.overrides[1].defaultValue, 1e-6)
        XCTAssertEqual(reflection.overrides[0].macro, "OVERRIDE_WG")
    }

    func testOverridesStaySpecialisableAndCanBeBakedIn() throws {
        let glsl = try XCTUnwrap(translateOrFail(kernel)).glsl
        XCTAssertTrue(glsl.contains("#ifndef OVERRIDE_WG\n#define OVERRIDE_WG 128\n#endif\nconst uint WG = uint(OVERRIDE_WG);"), glsl)
        XCTAssertTrue(glsl.contains("layout(local_size_x = OVERRIDE_WG, local_size_y = 2, local_size_z = 1) in;"), glsl)
        let baked = try WGSLTranslator.translate(source: kernel, fileName: "k.wgsl", overrides: ["WG": 32, "EPS": 0.25])
        XCTAssertTrue(baked.glsl.contains("#define OVERRIDE_WG 32\n"))
        XCTAssertTrue(baked.glsl.contains("#define OVERRIDE_EPS 0.25\n"))
        XCTAssertEqual(baked.reflection.workgroupSize[0].defaultValue, 32)
    }

    func testMissingOverrideValueCanBeSupplied() throws {
        let source = "override N: u32;\n@compute @workgroup_size(N) fn main() {}\n"
        XCTAssertNotNil(diagnostic(for: source))
        let output = try WGSLTranslator.translate(source: source, fileName: "n.wgsl", overrides: ["N": 16])
        XCTAssertTrue(output.glsl.contains("#define OVERRIDE_N 16"))
    }

    func testOnlyUsedHelpersAndExtensionsAreEmitted() throws {
        let plain = try XCTUnwrap(translateOrFail("""
        @group(0) @binding(0) var<storage, read_write> v: array<u32>;
        @compute @workgroup_size(1) fn main() { v[0] = v[1] / 4u + v[2] % 8u; }
        """))
        XCTAssertFalse(plain.glsl.contains("wgsl_"), "literal divisors need no helper")
        XCTAssertFalse(plain.glsl.contains("#extension"))
        XCTAssertEqual(plain.reflection.extensions, [])
        let divided = try XCTUnwrap(translateOrFail("""
        enable subgroups;
        @group(0) @binding(0) var<storage, read_write> v: array<u32>;
        @compute @workgroup_size(1) fn main() { v[0] = v[1] / v[2] + subgroupAdd(v[3]); }
        """))
        XCTAssertTrue(divided.glsl.contains("uint wgsl_div(uint a, uint b)"))
        XCTAssertFalse(divided.glsl.contains("wgsl_rem"))
        XCTAssertEqual(divided.reflection.extensions, ["GL_KHR_shader_subgroup_arithmetic", "GL_KHR_shader_subgroup_basic"])
    }

    func testAbstractConstantsAdaptToTheirUse() throws {
        let output = try XCTUnwrap(translateOrFail("""
        const N = 4;
        @group(0) @binding(0) var<storage, read_write> v: array<f32>;
        @compute @workgroup_size(1) fn main() {
            let a = N * 2u;
            let b = f32(N) * 0.5;
            let c = N + 1.5;
            v[a] = b + c;
        }
        """)).glsl
        XCTAssertTrue(output.contains("uint a = 8u;"), output)
        XCTAssertTrue(output.contains("float b = 2.0;"), output)
        XCTAssertTrue(output.contains("float c = 5.5;"), output)
    }
}
