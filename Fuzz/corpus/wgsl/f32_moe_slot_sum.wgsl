// Adds each token's k weighted expert outputs (one row per slot, from f32_moe_down_grouped.wgsl)
// to the residual stream, in the fixed order j = 0 .. k - 1 so results are reproducible:
//   y[t][r] += sum over j with ids[t * k + j] < n_experts of slot_out[t * k + j][r]
// A slot whose id is not an expert of this pass (the expert cache marks slots of other passes
// that way) has no row written and adds nothing, as in f32_moe_down_sum.wgsl.
//
// Bindings (group 0):
//   0  uniform Params
//   1  slot_out : array<f32>  [n_tokens * k][rows]    read
//   2  ids      : array<u32>  [n_tokens][k]           read
//   3  y        : array<f32>  [n_tokens][y_stride]    read_write
// Dispatch: (ceil(rows / WG_SIZE), n_tokens, 1).

struct Params {
    n_tokens: u32,
    k: u32,
    rows: u32,
    y_stride: u32,
    n_experts: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

override WG_SIZE: u32 = 64u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> slot_out: array<f32>;
@group(0) @binding(2) var<storage, read> ids: array<u32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let r = gid.x;
    let t = gid.y;
    if (r >= params.rows || t >= params.n_tokens) {
        return;
    }
    var sum = 0.0;
    for (var j = 0u; j < params.k; j += 1u) {
        let slot = t * params.k + j;
        if (ids[slot] < params.n_experts) {
            sum += slot_out[slot * params.rows + r];
        }
    }
    let o = t * params.y_stride + r;
    y[o] = y[o] + sum;
}
