const LAST: u32 = 0u - 1u;

@compute @workgroup_size(1)
fn main() {
}
