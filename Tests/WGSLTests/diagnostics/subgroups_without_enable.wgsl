@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32) {
    let total = subgroupAdd(f32(lid));
}
