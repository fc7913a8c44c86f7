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
// Dispatch: (ceil(rows / (WG_SIZE / THREADS_PER_ROW)), n_tokens, 1).
// A row's THREADS_PER_ROW threads reduce in shared memory, or with SUBGROUPS = 1 with one
// subgroupAdd: each row group is then exactly one subgroup (the host's conditions and the
// invocation-to-subgroup mapping this relies on are described at the top of f32_linear.wgsl).

import package::lib::activations::xin;
import package::lib::row_units::{units_per_row, unit_load, unit_inputs, unit_dot_with};

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

var<workgroup> partial_sums: array<f32, WG_SIZE>;

// The weighted sum over the token's k experts of row `row`: four experts at a time, two units
// of each a round, every load of the round (data words, scale words, activations: lib/row_units.wesl
// says why) issued before any math (each expert row is read once per decode step, so the kernel
// is bound by loads in flight; named variables keep them in registers). Experts outside the bound range, and the padding past k, read expert slot 0's
// row and count zero; units past the row's end load its last unit again and count zero. Also
// returns the weighted bias.
fn experts_dot(t: u32, row: u32, lane: u32) -> vec2<f32> {
    let units = units_per_row();
    let last = units - 1u;
    let x_vec4_stride = params.cols / 4u;
    let row_words = params.data_vec4_per_row * 4u;
    var acc = 0.0;
    var bias_sum = 0.0;
    for (var j0 = 0u; j0 < params.k; j0 += 4u) {
        var wrow = vec4<u32>(0u);
        var weight = vec4<f32>(0.0);
        var xv = vec4<u32>(0u);
        var used = vec4<bool>(false);
        for (var j = 0u; j < 4u; j += 1u) {
            let slot = t * params.k + min(j0 + j, params.k - 1u);
            let expert = ids[slot];
            let in_range = j0 + j < params.k && expert >= params.expert_begin && expert < params.expert_end;
            wrow[j] = select(0u, (expert - params.expert_begin) * params.rows + row, in_range);
            weight[j] = select(0.0, weights[slot], in_range);
            xv[j] = slot * x_vec4_stride;
            used[j] = in_range;
            if (in_range && params.has_bias == 1u) {
                bias_sum += weight[j] * bias[expert * params.rows + row];
            }
        }
        let words = wrow * row_words;
        var s = vec4<f32>(0.0);
        for (var u0 = lane; u0 < units; u0 += 2u * THREADS_PER_ROW) {
            let u1 = min(u0 + THREADS_PER_ROW, last);
            let a0 = unit_load(words.x, u0);
            let a1 = unit_load(words.y, u0);
            let a2 = unit_load(words.z, u0);
            let a3 = unit_load(words.w, u0);
            let b0 = unit_load(words.x, u1);
            let b1 = unit_load(words.y, u1);
            let b2 = unit_load(words.z, u1);
            let b3 = unit_load(words.w, u1);
            let ia0 = unit_inputs(wrow.x, u0, xv.x);
            let ia1 = unit_inputs(wrow.y, u0, xv.y);
            let ia2 = unit_inputs(wrow.z, u0, xv.z);
            let ia3 = unit_inputs(wrow.w, u0, xv.w);
            let ib0 = unit_inputs(wrow.x, u1, xv.x);
            let ib1 = unit_inputs(wrow.y, u1, xv.y);
            let ib2 = unit_inputs(wrow.z, u1, xv.z);
            let ib3 = unit_inputs(wrow.w, u1, xv.w);
            s += vec4<f32>(unit_dot_with(u0, a0, ia0), unit_dot_with(u0, a1, ia1),
                           unit_dot_with(u0, a2, ia2), unit_dot_with(u0, a3, ia3));
            let more = vec4<f32>(unit_dot_with(u1, b0, ib0), unit_dot_with(u1, b1, ib1),
                                 unit_dot_with(u1, b2, ib2), unit_dot_with(u1, b3, ib3));
            s += select(vec4<f32>(0.0), more, u0 + THREADS_PER_ROW < units);
        }
        // select, not a zero weight: an unused slot's activations may be stale, even NaN.
        acc += dot(select(vec4<f32>(0.0), s * weight, used), vec4<f32>(1.0));
    }
    return vec2<f32>(acc, bias_sum);
}

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let rows_per_group = WG_SIZE / THREADS_PER_ROW;
    let lane = lid.x % THREADS_PER_ROW;
    let row = wid.x * rows_per_group + lid.x / THREADS_PER_ROW;
    let t = wid.y;

    var sums = vec2<f32>(0.0);
    var any_expert = false;
    if (row < params.rows) {
        for (var j = 0u; j < params.k; j += 1u) {
            let expert = ids[t * params.k + j];
            any_expert = any_expert || (expert >= params.expert_begin && expert < params.expert_end);
        }
        if (any_expert) {
            sums = experts_dot(t, row, lane);
        }
    }
    let bias_sum = sums.y;
    // The row's weighted sum over its experts (valid in lane 0 at least).
    var total = 0.0;
    if (SUBGROUPS == 1u) {
        // The row group is one subgroup: no shared memory, no barrier.
        total = subgroupAdd(sums.x);
    } else {
        partial_sums[lid.x] = sums.x;
        workgroupBarrier();
        for (var stride = THREADS_PER_ROW / 2u; stride > 0u; stride = stride / 2u) {
            if (lane < stride) {
                partial_sums[lid.x] = partial_sums[lid.x] + partial_sums[lid.x + stride];
            }
            workgroupBarrier();
        }
        total = partial_sums[lid.x];
    }
    if (any_expert && lane == 0u) {
        let o = t * params.y_stride + row;
        y[o] = y[o] + total + bias_sum;
    }
}
