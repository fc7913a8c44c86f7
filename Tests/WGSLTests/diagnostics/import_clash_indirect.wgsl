// triple uses helper_base, which this kernel declares too.
import package::lib::helpers::triple;

fn helper_base(v: f32) -> f32 {
    return v;
}

@group(0) @binding(0) var<storage, read_write> values: array<f32>;

@compute @workgroup_size(1)
fn main() {
    values[0] = triple(values[0]);
}
