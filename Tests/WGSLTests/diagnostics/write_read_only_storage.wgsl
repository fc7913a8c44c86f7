@group(0) @binding(0) var<storage, read> weights: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    weights[gid.x] = 0.0;
}
