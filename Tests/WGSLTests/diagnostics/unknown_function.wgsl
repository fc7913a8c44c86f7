@compute @workgroup_size(1)
fn main() {
    let y = inversesqrt(4.0);
}
