@compute
fn main() {
}
