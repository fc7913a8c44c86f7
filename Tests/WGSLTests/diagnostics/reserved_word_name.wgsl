@compute @workgroup_size(1)
fn main() {
    let active = 1u;
}
