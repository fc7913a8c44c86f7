// Mixture-of-experts down projection for MXFP4 experts in packed half arithmetic
// (lib/fp4_half.wesl says why and how precise), weighted sum over the token's k ≤ 4 experts and
// residual add: the twin of f32_moe_down_sum.wgsl for devices with 16-bit float arithmetic,
// same math, bindings, params and output:
//   y[t][r] += sum_j w[t][j] * (Wdown_e . a[t][j] + bdown_e[r])      (e = ids[t][j])
//
// A workgroup takes one token: its k SwiGLU activation rows are staged once in shared memory as
// f16 pairs (k * 4 * BLOCKS vec4s), and WG_SIZE / THREADS_PER_ROW output rows; a row group
// walks the row of each of the token's experts one 16-byte block per lane a step, the k
// experts' blocks in flight together.
//
// Bindings (group 0):
//   0  uniform Params
//   1  scales  : array<u32>        [bound experts * rows][scale_words_per_row]   read
//   2  data    : array<vec4<u32>>  [bound experts * rows][data_vec4_per_row]     read
//   3  bias    : array<f32>        [n_experts][rows]                             read (has_bias = 1)
//   4  x       : array<vec4<f32>>  [n_tokens * k][cols / 4] (the SwiGLU output)  read
//   5  ids     : array<u32>        [n_tokens][k]                                 read
//   6  weights : array<f32>        [n_tokens][k]                                 read
//   7  y       : array<f32>        [n_tokens][y_stride] (the residual stream)    read_write
// Dispatch: (ceil(rows / (WG_SIZE / THREADS_PER_ROW)), n_tokens, 1); BLOCKS = cols / 32, k ≤ 4.
// SUBGROUPS as in f16_moe_gate_up_swiglu.wgsl.

import package::lib::fp4_half::{stage_pairs, block_sum, e8m0_half, block_exponent};

enable f16;
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

override WG_SIZE: u32 = 256u;
override THREADS_PER_ROW: u32 = 32u;
override SUBGROUPS: u32 = 0u;
override BLOCKS: u32 = 90u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> scales: array<u32>;
@group(0) @binding(2) var<storage, read> data: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> ids: array<u32>;
@group(0) @binding(6) var<storage, read> weights: array<f32>;
@group(0) @binding(7) var<storage, read_write> y: array<f32>;

// Expert slot j's activations at vec4s j * 4 * BLOCKS + (kw * BLOCKS + b).
var<workgroup> staged: array<vec4<u32>, 16u * BLOCKS>;
var<workgroup> partial_sums: array<f32, WG_SIZE>;

// Block b of bound row `row` times block b of expert slot j's staged activations, scaled.
fn expert_block(j: u32, row: u32, b: u32) -> f32 {
    let base = j * 4u * BLOCKS + b;
    let d = data[row * params.data_vec4_per_row + b];
    let sum = block_sum(d, staged[base], staged[base + BLOCKS], staged[base + 2u * BLOCKS], staged[base + 3u * BLOCKS]);
    return sum * e8m0_half(block_exponent(row, b));
}

// Row `row`'s dot product with each of the (up to four) slots' activations over the blocks
// lane, lane + THREADS_PER_ROW, …; slots past k read slot 0's row and are dropped by the caller.
fn experts_dot(wrow: vec4<u32>, lane: u32) -> vec4<f32> {
    var s = vec4<f32>(0.0);
    for (var b = lane; b < BLOCKS; b += THREADS_PER_ROW) {
        s += vec4<f32>(expert_block(0u, wrow.x, b), expert_block(1u, wrow.y, b),
                       expert_block(2u, wrow.z, b), expert_block(3u, wrow.w, b));
    }
    return s;
}

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let rows_per_group = WG_SIZE / THREADS_PER_ROW;
    let lane = lid.x % THREADS_PER_ROW;
    let row = wid.x * rows_per_group + lid.x / THREADS_PER_ROW;
    let t = wid.y;

    // The token's experts: bound rows, weights, and which count (in range and j < k).
    var wrow = vec4<u32>(0u);
    var weight = vec4<f32>(0.0);
    var used = vec4<bool>(false);
    var bias_sum = 0.0;
    for (var j = 0u; j < 4u; j += 1u) {
        let slot = t * params.k + min(j, params.k - 1u);
        let expert = ids[slot];
        let in_range = j < params.k && expert >= params.expert_begin && expert < params.expert_end;
        used[j] = in_range;
        weight[j] = select(0.0, weights[slot], in_range);
        wrow[j] = select(0u, (expert - params.expert_begin) * params.rows + min(row, params.rows - 1u), in_range);
        if (in_range && params.has_bias == 1u && row < params.rows) {
            bias_sum += weight[j] * bias[expert * params.rows + row];
        }
    }
    let any_expert = any(used);

    // The k activation rows, once for the workgroup (a slot past k stages zeros).
    if (any_expert) {
        let slot_vec4s = params.cols / 4u;
        for (var i = lid.x; i < 16u * BLOCKS; i += WG_SIZE) {
            let j = i / (4u * BLOCKS);
            let within = i % (4u * BLOCKS);
            let kw = within / BLOCKS;
            let b = within % BLOCKS;
            var words = vec4<u32>(0u);
            if (j < params.k) {
                let xv = (t * params.k + j) * slot_vec4s;
                words = stage_pairs(x[xv + 8u * b + kw], x[xv + 8u * b + kw + 4u]);
            }
            staged[i] = words;
        }
    }
    workgroupBarrier();

    var sum = 0.0;
    if (any_expert && row < params.rows) {
        // select, not a zero weight: an unused slot's activations may be stale, even NaN.
        sum = dot(select(vec4<f32>(0.0), experts_dot(wrow, lane) * weight, used), vec4<f32>(1.0));
    }
    var total = 0.0;
    if (SUBGROUPS == 1u) {
        total = subgroupAdd(sum);
    } else {
        partial_sums[lid.x] = sum;
        workgroupBarrier();
        for (var stride = THREADS_PER_ROW / 2u; stride > 0u; stride = stride / 2u) {
            if (lane < stride) {
                partial_sums[lid.x] = partial_sums[lid.x] + partial_sums[lid.x + stride];
            }
            workgroupBarrier();
        }
        total = partial_sums[lid.x];
    }
    if (any_expert && lane == 0u && row < params.rows) {
        let o = t * params.y_stride + row;
        y[o] = y[o] + total + bias_sum;
    }
}
