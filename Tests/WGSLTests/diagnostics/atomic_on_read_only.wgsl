@group(0) @binding(0) var<storage, read> counter: atomic<u32>;

@compute @workgroup_size(1)
fn main() {
    atomicAdd(&counter, 1u);
}
