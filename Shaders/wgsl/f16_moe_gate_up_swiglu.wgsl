// Mixture-of-experts gate/up projection with the SwiGLU of GPT-OSS for MXFP4 experts, in packed
// half arithmetic (lib/fp4_half.wesl says why and how precise): the twin of
// f32_moe_gate_up_swiglu.wgsl for devices with 16-bit float arithmetic, same math, bindings,
// params and output:
//   g = Wgate_e . x + bgate_e;  u = Wup_e . x + bup_e;  g' = min(g, 7);  u' = clamp(u, -7, 7)
//   out[t][j][r] = g' * sigmoid(1.702 * g') * (u' + 1)          (e = ids[t][j])
//
// A workgroup takes one slot (its token's activations are staged once in shared memory as f16
// pairs) and WG_SIZE / THREADS_PER_ROW output rows; a row group walks the gate and up rows of
// its output one whole 16-byte block per lane a step, two blocks of each row in flight.
//
// Bindings (group 0):
//   0  uniform Params
//   1  scales : array<u32>        [bound experts * 2 * rows][scale_words_per_row]   read
//   2  data   : array<vec4<u32>>  [bound experts * 2 * rows][data_vec4_per_row]     read
//   3  bias   : array<f32>        [n_experts][2 * rows] (gate bias, then up bias)   read (has_bias = 1)
//   4  x      : array<vec4<f32>>  [n_tokens][x_stride / 4]                         read
//   5  ids    : array<u32>        [n_tokens][k]                                    read
//   6  out    : array<f32>        [n_tokens * k][rows]                             write
// Dispatch: (ceil(rows / (WG_SIZE / THREADS_PER_ROW)), n_tokens * k, 1); BLOCKS = cols / 32.
// SUBGROUPS = 1: each row group is one subgroup and reduces with subgroupAdd (the conditions are
// at the top of f32_linear.wgsl); 0: in shared memory.

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
    x_stride: u32,
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
@group(0) @binding(6) var<storage, read_write> out: array<f32>;

var<workgroup> staged: array<vec4<u32>, 4u * BLOCKS>;
var<workgroup> gate_sums: array<f32, WG_SIZE>;
var<workgroup> up_sums: array<f32, WG_SIZE>;

// Block b of the staged activations times block b of bound rows gate_row and up_row (raw
// sums, before the block scale).
fn pair_block(gate_row: u32, up_row: u32, b: u32) -> vec2<f32> {
    let g = data[gate_row * params.data_vec4_per_row + b];
    let u = data[up_row * params.data_vec4_per_row + b];
    let s0 = staged[b];
    let s1 = staged[BLOCKS + b];
    let s2 = staged[2u * BLOCKS + b];
    let s3 = staged[3u * BLOCKS + b];
    return vec2<f32>(block_sum(g, s0, s1, s2, s3) * e8m0_half(block_exponent(gate_row, b)),
                     block_sum(u, s0, s1, s2, s3) * e8m0_half(block_exponent(up_row, b)));
}

// The gate and up dot products of one row pair over the blocks lane, lane + THREADS_PER_ROW, …
// Blocks past the row's end repeat its last block (in bounds, cached) and count zero.
fn pair_dot(gate_row: u32, up_row: u32, lane: u32) -> vec2<f32> {
    let last = BLOCKS - 1u;
    var s = vec2<f32>(0.0);
    for (var b0 = lane; b0 < BLOCKS; b0 += 2u * THREADS_PER_ROW) {
        let b1 = min(b0 + THREADS_PER_ROW, last);
        let first = pair_block(gate_row, up_row, b0);
        let second = pair_block(gate_row, up_row, b1);
        s += first + select(vec2<f32>(0.0), second, b0 + THREADS_PER_ROW < BLOCKS);
    }
    return s;
}

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let rows_per_group = WG_SIZE / THREADS_PER_ROW;
    let lane = lid.x % THREADS_PER_ROW;
    let row = wid.x * rows_per_group + lid.x / THREADS_PER_ROW;
    let slot = wid.y;
    let t = slot / params.k;
    let expert = ids[slot];
    let expert_bound = expert >= params.expert_begin && expert < params.expert_end;
    let in_range = row < params.rows && expert_bound;

    // The token's activations, once for the workgroup.
    if (expert_bound) {
        let xv = t * (params.x_stride / 4u);
        for (var i = lid.x; i < 4u * BLOCKS; i += WG_SIZE) {
            let kw = i / BLOCKS;
            let b = i % BLOCKS;
            staged[i] = stage_pairs(x[xv + 8u * b + kw], x[xv + 8u * b + kw + 4u]);
        }
    }
    workgroupBarrier();

    var sums = vec2<f32>(0.0);
    if (in_range) {
        let gate_row = (expert - params.expert_begin) * 2u * params.rows + row;
        sums = pair_dot(gate_row, gate_row + params.rows, lane);
    }
    var total = vec2<f32>(0.0);
    if (SUBGROUPS == 1u) {
        total = subgroupAdd(sums);
    } else {
        gate_sums[lid.x] = sums.x;
        up_sums[lid.x] = sums.y;
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
