@compute @workgroup_size(1)
fn main() {
    var i = 0u;
    loop {
        let step = i + 1u;
        continuing {
            i = step;
            break if i > 10u;
        }
    }
}
