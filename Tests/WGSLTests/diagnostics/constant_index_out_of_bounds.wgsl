@compute @workgroup_size(1)
fn main() {
    var tile: array<f32, 4>;
    tile[4] = 1.0;
}
