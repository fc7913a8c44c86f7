override BLOCK: u32;

@compute @workgroup_size(64)
fn main() {
    let b = BLOCK;
}
