@compute @workgroup_size(1)
fn main() {
    let total = 0u;
    total = total + 1u;
}
