@compute @workgroup_size(1)
fn main() {
    let a = 3u;
    let b = a + 1u & 0xFFu;
}
