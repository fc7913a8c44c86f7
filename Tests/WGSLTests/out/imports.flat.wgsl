// Imports (docs/wgsl.md, "Imports"): a collection, a `super::` path into a nested module, an
// item pulled in only because an imported one uses it (factor), a struct imported by the
// kernel and by a module (written once), and module code reading the kernel's override.


// lib/scaling.wesl's factor() reads this: module names left undeclared are the kernel's.
override SCALE: f32 = 2.0;
@group(0) @binding(0) var<storage, read_write> values: array<f32>;

// from package::lib::scaling (in/lib/scaling.wesl)
struct Pair {
    a: f32,
    b: f32,
}

// from package::lib::scaling (in/lib/scaling.wesl)
// Half the kernel's SCALE.
fn factor() -> f32 {
    return SCALE * 0.5;
}

// from package::lib::scaling (in/lib/scaling.wesl)
fn scaled(v: f32) -> f32 {
    return v * factor();
}

// from package::lib::nested::sums (in/lib/nested/sums.wesl)
fn pair_sum(p: Pair) -> f32 {
    return p.a + p.b;
}


@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let p = Pair(values[gid.x], 1.0);
    values[gid.x] = scaled(pair_sum(p));
}
