// `if` statements decided by overrides alone become #if / #elif / #else / #endif, so a
// specialisation compiles only its own branch (here the subgroup one exists only with
// SUBGROUPS = 1, and its extensions are `enable`d, not required). Conditions that read runtime
// values, floats, bool overrides or arithmetic stay runtime ifs.
enable subgroups;

const MODE_SUM: u32 = 0u;
const MODE_MAX: u32 = 1u;

override SUBGROUPS: u32 = 0u;
override MODE: u32 = MODE_SUM;
override WG: u32 = 64u;
override SCALE: f32 = 1.0;
override CLAMP: bool = false;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
var<workgroup> partial: array<f32, WG>;

fn combine(a: f32, b: f32) -> f32 {
    if (MODE == MODE_SUM) {
        return a + b;
    } else if (MODE == MODE_MAX) {
        return max(a, b);
    }
    return min(a, b);
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let v = x[wid.x * WG + lid] * SCALE;
    var total = 0.0;
    if (SUBGROUPS == 1u && MODE == MODE_SUM) {
        // One subgroup's sum: the host sets SUBGROUPS = 1 only where WG is the subgroup size.
        total = subgroupAdd(v);
    } else {
        partial[lid] = v;
        workgroupBarrier();
        for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
            if (lid < stride) {
                partial[lid] = combine(partial[lid], partial[lid + stride]);
            }
            workgroupBarrier();
        }
        total = partial[0];
    }
    if (CLAMP) {
        total = clamp(total, -1.0, 1.0);
    }
    if (lid == 0u && !(WG < 32u)) {
        y[wid.x] = total;
    } else if (SCALE > 2.0) {
        y[wid.x] = 0.0;
    }
}
