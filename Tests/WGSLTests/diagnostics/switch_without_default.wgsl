@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32) {
    switch lid {
        case 0u: { }
    }
}
