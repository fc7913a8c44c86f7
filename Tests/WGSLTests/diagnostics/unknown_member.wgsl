struct Params {
    rows: u32,
    cols: u32,
}

@group(0) @binding(0) var<uniform> params: Params;

@compute @workgroup_size(1)
fn main() {
    let n = params.row;
}
