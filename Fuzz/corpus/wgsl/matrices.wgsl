// Matrices: construction from columns and scalars, products with vectors and matrices,
// transpose, determinant, column access; mat4x4 in a uniform block (std140-compatible).
struct Camera {
    view: mat4x4<f32>,
    tint: vec3<f32>,
    gain: f32,
}

@group(0) @binding(0) var<uniform> camera: Camera;
@group(0) @binding(1) var<storage, read_write> points: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> rotations: array<mat3x3<f32>>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let p = camera.view * points[gid.x];
    let r = rotations[gid.x % 4u];
    let m2 = mat2x2<f32>(vec2<f32>(1.0, 0.0), vec2<f32>(0.0, 1.0));
    let m3 = mat3x3<f32>(1.0, 2.0, 3.0, 0.0, 1.0, 4.0, 5.0, 6.0, 0.0);
    let rotated = (r * m3) * p.xyz + transpose(r)[1] * determinant(m3);
    let q = vec2<f32>(p.w, 1.0) * m2;
    points[gid.x] = vec4<f32>(rotated * camera.tint, q.x * camera.gain + camera.view[3].w);
}
