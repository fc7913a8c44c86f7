// The router of one decoded token, fused into one workgroup (three launches become one):
//   h = x / sqrt(mean(x^2) + eps) * norm          (the post-attention RMSNorm; h is written out
//                                                  for the expert kernels)
//   logit[e] = W[e] . h + bias[e]                 (F32 router weights)
//   ids, weights = top-k of the logits (ties to the lower expert), softmax over the k chosen.
// COLS (the hidden width, a multiple of 4) and EXPERTS (a power of two ≥ n_experts, ≤ WG_SIZE)
// are specialisation constants: h is staged in shared memory, COLS / 4 vec4.
//
// Bindings (group 0):
//   0  uniform Params
//   1  x       : array<vec4<f32>>  the token's residual row at x[x_vec4_offset]   read
//   2  norm    : array<vec4<f32>>  [COLS / 4]                                   read
//   3  w       : array<vec4<f32>>  [n_experts][router_row_vec4] (F32 planes)            read
//   4  bias    : array<f32>        [n_experts]                                  read (has_bias = 1)
//   5  normed  : array<vec4<f32>>  [COLS / 4]                                   write
//   6  ids     : array<u32>        [k]                                          write
//   7  weights : array<f32>        [k]                                          write
// Dispatch: (1, 1, 1).

import package::lib::router::{NEG_BIG, expert_logits, expert_dots, pick_top_k};

struct Params {
    n_experts: u32,
    k: u32,
    router_row_vec4: u32,
    has_bias: u32,
    x_vec4_offset: u32,
    eps: f32,
    pad0: u32,
    pad1: u32,
}

override WG_SIZE: u32 = 256u;
override COLS: u32 = 2880u;
override EXPERTS: u32 = 32u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> norm: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> w: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> normed: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> ids: array<u32>;
@group(0) @binding(7) var<storage, read_write> weights: array<f32>;

var<workgroup> h: array<vec4<f32>, COLS / 4u>;
var<workgroup> partial_sums: array<f32, WG_SIZE>;
@compute @workgroup_size(WG_SIZE)
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
    let lane = lid.x;
    let quads = COLS / 4u;

    // RMSNorm: the sum of squares, reduced over the workgroup.
    var sq = 0.0;
    for (var i = lane; i < quads; i += WG_SIZE) {
        let v = x[params.x_vec4_offset + i];
        sq += dot(v, v);
    }
    partial_sums[lane] = sq;
    workgroupBarrier();
    for (var stride = WG_SIZE / 2u; stride > 0u; stride = stride / 2u) {
        if (lane < stride) {
            partial_sums[lane] = partial_sums[lane] + partial_sums[lane + stride];
        }
        workgroupBarrier();
    }
    let inv_rms = inverseSqrt(partial_sums[0] / f32(COLS) + params.eps);
    for (var i = lane; i < quads; i += WG_SIZE) {
        let v = x[params.x_vec4_offset + i] * inv_rms * norm[i];
        h[i] = v;
        normed[i] = v;
    }
    workgroupBarrier();

    expert_dots(lane);

    // The logits with their bias; the k best and their softmax.
    let per_expert = WG_SIZE / EXPERTS;
    if (lane < EXPERTS) {
        var logit = NEG_BIG;
        if (lane < params.n_experts) {
            logit = partial_sums[lane * per_expert];
            if (params.has_bias == 1u) {
                logit += bias[lane];
            }
        }
        expert_logits[lane] = logit;
    }
    pick_top_k(lane);
}
