// Mixture-of-experts gate/up projection with the SwiGLU of GPT-OSS, for the k experts each token
// chose (ids read from a GPU buffer written by f32_topk_softmax.wgsl):
//   g = Wgate_e . x + bgate_e;  u = Wup_e . x + bup_e;  g' = min(g, 7);  u' = clamp(u, -7, 7)
//   out[t][j][r] = g' * sigmoid(1.702 * g') * (u' + 1)          (e = ids[t][j])
// Weights: gate and up of an expert are fused into one planes tensor of 2*rows rows per expert
// (gate rows first, then up rows), formats as in f32_linear.wgsl (WEIGHT_FORMAT). An expert
// tensor larger than the binding limit is bound in expert ranges [expert_begin, expert_end),
// one dispatch per range; a workgroup whose expert lies outside the bound range does nothing.
//
// Bindings (group 0):
//   0  uniform Params
//   1  scales : array<u32>        [bound experts * 2 * rows][scale_words_per_row]   read
//   2  data   : array<u32>        [bound experts * 2 * rows][data_vec4_per_row * 4] read
//   3  bias   : array<f32>        [n_experts][2 * rows] (gate bias, then up bias)   read (has_bias = 1)
//   4  x      : array<vec4<f32>>  [n_tokens][x_stride / 4]                         read
//   5  ids    : array<u32>        [n_tokens][k]                                    read
//   6  out    : array<f32>        [n_tokens * k][rows]                             write
// Dispatch: (ceil(rows / (WG_SIZE / THREADS_PER_ROW)), n_tokens * k, 1).
// A row's THREADS_PER_ROW threads reduce in shared memory, or with SUBGROUPS = 1 with one
// subgroupAdd: each row group is then exactly one subgroup (the host's conditions and the
// invocation-to-subgroup mapping this relies on are described at the top of f32_linear.wgsl).

import package::lib::activations::xin;
import package::lib::row_units::row_pair_dot;

enable subgroups;

struct Params {
    n_tokens: u32,
    k: u32,
    rows: u32,
    cols: u32,
    expert_begin: u32,
    expert_end: u32,
    x_stride: u32,
    has_bias: u32,
    scale_words_per_row: u32,
    data_vec4_per_row: u32,
    pad0: u32,
    pad1: u32,
}

override WEIGHT_FORMAT: u32 = 4u;
override WG_SIZE: u32 = 64u;
override THREADS_PER_ROW: u32 = 16u;
// 1: each row group reduces with subgroupAdd (see above); 0: in shared memory.
override SUBGROUPS: u32 = 0u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> scales: array<u32>;
@group(0) @binding(2) var<storage, read> data: array<u32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> ids: array<u32>;
@group(0) @binding(6) var<storage, read_write> out: array<f32>;

var<workgroup> gate_sums: array<f32, WG_SIZE>;
var<workgroup> up_sums: array<f32, WG_SIZE>;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let rows_per_group = WG_SIZE / THREADS_PER_ROW;
    let lane = lid.x % THREADS_PER_ROW;
    let row = wid.x * rows_per_group + lid.x / THREADS_PER_ROW;
    let slot = wid.y;
    let t = slot / params.k;
    let expert = ids[slot];
    let in_range = row < params.rows && expert >= params.expert_begin && expert < params.expert_end;

    var gate = 0.0;
    var up = 0.0;
    if (in_range) {
        let gate_row = (expert - params.expert_begin) * 2u * params.rows + row;
        let up_row = gate_row + params.rows;
        let xv = t * (params.x_stride / 4u);
        let sums = row_pair_dot(gate_row, up_row, lane, xv);
        gate = sums.x;
        up = sums.y;
    }
    // The row's gate and up sums (valid in lane 0 at least).
    var total = vec2<f32>(0.0);
    if (SUBGROUPS == 1u) {
        // The row group is one subgroup: no shared memory, no barrier.
        total = subgroupAdd(vec2<f32>(gate, up));
    } else {
        gate_sums[lid.x] = gate;
        up_sums[lid.x] = up;
        workgroupBarrier();
        for (var stride = THREADS_PER_ROW / 2u; stride > 0u; stride = stride / 2u) {
            if (lane < stride) {
                gate_sums[lid.x] = gate_sums[lid.x] + gate_sums[lid.x + stride];
                up_sums[lid.x] = up_sums[lid.x] + up_sums[lid.x + stride];
            }
            workgroupBarrier();
        }
        total = vec2<f32>(gate_sums[lid.x], up_sums[lid.x]);
    }
    if (in_range && lane == 0u) {
        var g = total.x;
        var u = total.y;
        if (params.has_bias == 1u) {
            g += bias[expert * 2u * params.rows + row];
            u += bias[expert * 2u * params.rows + params.rows + row];
        }
        g = min(g, 7.0);
        u = clamp(u, -7.0, 7.0);
        let glu = g / (1.0 + exp(-1.702 * g));
        out[slot * params.rows + row] = glu * (u + 1.0);
    }
}
