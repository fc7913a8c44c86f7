// f16 (enable f16): storage of half values, literals with the h suffix, conversions to and from
// f32, and f16 vectors. Needs GL_EXT_shader_explicit_arithmetic_types_float16 and 16-bit storage.
enable f16;

@group(0) @binding(0) var<storage, read> halves: array<vec4<f16>>;
@group(0) @binding(1) var<storage, read_write> sums: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let v = halves[gid.x];
    let scaled = v * 0.5h + vec4<f16>(1.0h);
    let total: f16 = scaled.x + scaled.y + scaled.z + scaled.w;
    sums[gid.x] = f32(total) + f32(max(v.x, -2.0h));
}
