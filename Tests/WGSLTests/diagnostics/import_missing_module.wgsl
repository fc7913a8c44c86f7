import package::lib::nowhere::triple;

@group(0) @binding(0) var<storage, read_write> values: array<f32>;

@compute @workgroup_size(1)
fn main() {
    values[0] = triple(values[0]);
}
