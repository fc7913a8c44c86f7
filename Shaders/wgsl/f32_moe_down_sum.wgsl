// Mixture-of-experts down projection, weighted sum over the token's k experts and residual add:
//   y[t][r] += sum_j w[t][j] * (Wdown_e . a[t][j] + bdown_e[r])      (e = ids[t][j])
// The down bias sits inside the weighting. Formats as in f32_linear.wgsl (WEIGHT_FORMAT); an
// expert tensor larger than the binding limit is bound in expert ranges [expert_begin,
// expert_end), one dispatch per range, each adding the contribution of the experts it holds.
//
// Bindings (group 0):
//   0  uniform Params
//   1  scales  : array<u32>        [bound experts * rows][scale_words_per_row]   read
//   2  data    : array<u32>        [bound experts * rows][data_vec4_per_row * 4] read
//   3  bias    : array<f32>        [n_experts][rows]                             read (has_bias = 1)
//   4  x       : array<vec4<f32>>  [n_tokens * k][cols / 4] (the SwiGLU output)  read
//   5  ids     : array<u32>        [n_tokens][k]                                 read
//   6  weights : array<f32>        [n_tokens][k]                                 read
//   7  y       : array<f32>        [n_tokens][y_stride] (the residual stream)    read_write
// Work split: a row group of THREADS_PER_ROW threads takes one output row and one of SLOT_LANES
// (4, see below) expert lanes: lane j walks the row of slots j, j + 4, … of the token (gpt-oss has k = 4:
// one expert each). So a row's experts are read by four row groups side by side, each with few
// loads to wait for, instead of one group walking all four (which left few, long-lived warps
// that waited on memory one round after another). The SLOT_LANES weighted sums of a row meet in
// shared memory. WG_SIZE / THREADS_PER_ROW must be a multiple of SLOT_LANES.
// Dispatch: (ceil(rows / (WG_SIZE / THREADS_PER_ROW / SLOT_LANES)), n_tokens, 1).
// A row group's THREADS_PER_ROW threads reduce in shared memory, or with SUBGROUPS = 1 with one
// subgroupAdd: each row group is then exactly one subgroup (the host's conditions and the
// invocation-to-subgroup mapping this relies on are described at the top of f32_linear.wgsl).

import package::lib::activations::xin;
import package::lib::row_units::row_dot;

enable subgroups;

struct Params {
    n_tokens: u32,
    k: u32,
    rows: u32,
    cols: u32,
    expert_begin: u32,
    expert_end: u32,
    y_stride: u32,
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
@group(0) @binding(6) var<storage, read> weights: array<f32>;
@group(0) @binding(7) var<storage, read_write> y: array<f32>;

// Expert lanes per output row: 4 (one per expert of gpt-oss's k = 4), fewer only when a
// workgroup has fewer row groups (the launcher sets min(4, WG_SIZE / THREADS_PER_ROW)).
override SLOT_LANES: u32 = 4u;

var<workgroup> partial_sums: array<f32, WG_SIZE>;
// The weighted sum of each row group (row, expert lane) of the workgroup (the first
// WG_SIZE / THREADS_PER_ROW entries).
var<workgroup> lane_sums: array<f32, WG_SIZE>;

// Expert lane `j0`'s share of output row `row` of token `t`: the weighted sum over the slots
// j0, j0 + SLOT_LANES, … < k whose expert is in the bound range, with the weighted bias.
// Slots of other experts add nothing; x of an unused slot is never read (it may be stale).
fn lane_share(t: u32, row: u32, j0: u32, lane: u32) -> f32 {
    let x_vec4_stride = params.cols / 4u;
    var acc = 0.0;
    for (var j = j0; j < params.k; j += SLOT_LANES) {
        let slot = t * params.k + j;
        let expert = ids[slot];
        if (expert >= params.expert_begin && expert < params.expert_end) {
            let w = weights[slot];
            let wrow = (expert - params.expert_begin) * params.rows + row;
            acc += w * row_dot(wrow, lane, slot * x_vec4_stride);
            if (params.has_bias == 1u && lane == 0u) {
                acc += w * bias[expert * params.rows + row];
            }
        }
    }
    return acc;
}

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let groups = WG_SIZE / THREADS_PER_ROW;
    let lane = lid.x % THREADS_PER_ROW;
    let group = lid.x / THREADS_PER_ROW;
    let row = wid.x * (groups / SLOT_LANES) + group / SLOT_LANES;
    let j0 = group % SLOT_LANES;
    let t = wid.y;

    var share = 0.0;
    if (row < params.rows) {
        share = lane_share(t, row, j0, lane);
    }
    // The row group's sum (valid in lane 0 at least).
    var total = 0.0;
    if (SUBGROUPS == 1u) {
        // The row group is one subgroup: no shared memory, no barrier.
        total = subgroupAdd(share);
    } else {
        partial_sums[lid.x] = share;
        workgroupBarrier();
        for (var stride = THREADS_PER_ROW / 2u; stride > 0u; stride = stride / 2u) {
            if (lane < stride) {
                partial_sums[lid.x] = partial_sums[lid.x] + partial_sums[lid.x + stride];
            }
            workgroupBarrier();
        }
        total = partial_sums[lid.x];
    }
    if (lane == 0u) {
        lane_sums[group] = total;
    }
    workgroupBarrier();
    // Lane 0 of a row's first row group adds its SLOT_LANES shares to the residual; a row no
    // bound expert of the token touches is left as it is.
    if (lane == 0u && j0 == 0u && row < params.rows) {
        var any_expert = false;
        for (var j = 0u; j < params.k; j += 1u) {
            let expert = ids[t * params.k + j];
            any_expert = any_expert || (expert >= params.expert_begin && expert < params.expert_end);
        }
        if (any_expert) {
            var sum = 0.0;
            for (var j = 0u; j < SLOT_LANES; j += 1u) {
                sum += lane_sums[group + j];
            }
            let o = t * params.y_stride + row;
            y[o] = y[o] + sum;
        }
    }
}
