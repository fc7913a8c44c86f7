@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32) {
    if lid & 1u {
        return;
    }
}
