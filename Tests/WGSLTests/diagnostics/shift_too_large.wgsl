@compute @workgroup_size(1)
fn main() {
    var bits = 1u;
    bits = bits << 32u;
}
