fn scale(x: f32, s: f32) -> f32 {
    return x * s;
}

@compute @workgroup_size(1)
fn main() {
    let y = scale(2.0);
}
