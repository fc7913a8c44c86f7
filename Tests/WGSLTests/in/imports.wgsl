// Imports (docs/wgsl.md, "Imports"): a collection, a `super::` path into a nested module, an
// item pulled in only because an imported one uses it (factor), a struct imported by the
// kernel and by a module (written once), and module code reading the kernel's override.
import package::lib::scaling::{scaled, Pair};
import super::lib::nested::sums::pair_sum;

@group(0) @binding(0) var<storage, read_write> values: array<f32>;
// lib/scaling.wesl's factor() reads this: module names left undeclared are the kernel's.
override SCALE: f32 = 2.0;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let p = Pair(values[gid.x], 1.0);
    values[gid.x] = scaled(pair_sum(p));
}
