// The out-of-bounds policy: dynamic indices are clamped to the last element, except where a cheap
// proof shows the index is in range (local_invocation_index into a workgroup-sized array, a
// for-loop variable bounded by the array's length). The negative cases keep their clamps.
override WG: u32 = 64;
const TILE = 16u;

@group(0) @binding(0) var<storage, read_write> data: array<f32>;
var<workgroup> partial: array<f32, WG>;
var<workgroup> rows: array<f32, 8>;
var<workgroup> tile: array<f32, TILE>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(local_invocation_id) local: vec3<u32>) {
    let me = lid;
    partial[me] = data[lid];
    rows[local.x % 8u] = 1.0;
    for (var i = 0u; i < TILE; i++) {
        tile[i] = f32(i);
    }
    for (var j = lid; j < 8u; j += WG) {
        rows[j] += partial[j];
    }
    for (var k = 0u; k < TILE; k++) {
        k += 1u;
        tile[k] = 0.0;
    }
    for (var s = 0; s < 8; s++) {
        rows[s] = 2.0;
    }
    workgroupBarrier();
    var sum = partial[local.x] + partial[local.y] + rows[lid] + tile[TILE - 1u];
    let v = vec4<f32>(1.0, 2.0, 3.0, 4.0);
    sum += v[lid % 4u];
    data[lid] = sum + data[0] + data[arrayLength(&data) - 1u];
}
