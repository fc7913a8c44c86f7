// Subgroup operations and builtins (enable subgroups): each group of them needs its own
// GL_KHR_shader_subgroup_* extension, and only those used are enabled.
enable subgroups;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>,
        @builtin(subgroup_invocation_id) lane: u32,
        @builtin(subgroup_size) width: u32) {
    let v = x[gid.x];
    var total = subgroupAdd(v) + subgroupMax(v) + subgroupMin(v) + subgroupExclusiveAdd(v) + subgroupInclusiveAdd(v);
    total += subgroupBroadcast(v, 0u) + subgroupBroadcastFirst(v) + subgroupShuffle(v, (lane + 1u) % width);
    total += subgroupShuffleXor(v, 1u) + subgroupShuffleDown(v, 1u) + subgroupShuffleUp(v, 1u);
    let ballot = subgroupBallot(v > 0.0);
    if subgroupElect() && subgroupAll(v >= 0.0) && !subgroupAny(v < -100.0) {
        total += f32(countOneBits(ballot.x) + (subgroupAnd(lane) | subgroupOr(lane) | subgroupXor(lane)));
    }
    y[gid.x] = total;
}
