@compute @workgroup_size(64)
fn prefill() {
}

@compute @workgroup_size(64)
fn decode() {
}
