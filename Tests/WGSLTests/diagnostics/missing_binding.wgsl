@group(0) var<storage, read> x: array<f32>;

@compute @workgroup_size(1)
fn main() {
}
