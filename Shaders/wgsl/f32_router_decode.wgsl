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

const NEG_BIG: f32 = -3.0e38;
const MAX_K: u32 = 32u;

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
var<workgroup> expert_logits: array<f32, EXPERTS>;
var<workgroup> chosen_value: array<f32, MAX_K>;
var<workgroup> chosen_index: array<u32, MAX_K>;

// Every expert's dot product with the normalised row in `h`: WG_SIZE / EXPERTS neighbouring
// threads share an expert's row, four row vec4s a round, all loaded before the math (one
// workgroup reads the whole router, so the loop is bound by load latency); past the row's end
// they re-read its last vec4 and count zero. Afterwards partial_sums[e * (WG_SIZE / EXPERTS)]
// holds expert e's sum.
fn expert_dots(lane: u32) {
    let quads = COLS / 4u;
    let per_expert = WG_SIZE / EXPERTS;
    let e = lane / per_expert;
    let sub = lane % per_expert;
    var s = 0.0;
    if (e < params.n_experts) {
        let row = e * params.router_row_vec4;
        let last = quads - 1u;
        for (var i = sub; i < quads; i += 4u * per_expert) {
            let i1 = min(i + per_expert, last);
            let i2 = min(i + 2u * per_expert, last);
            let i3 = min(i + 3u * per_expert, last);
            let w0 = w[row + i];
            let w1 = w[row + i1];
            let w2 = w[row + i2];
            let w3 = w[row + i3];
            s += dot(w0, h[i]);
            s += select(0.0, dot(w1, h[i1]), i + per_expert < quads);
            s += select(0.0, dot(w2, h[i2]), i + 2u * per_expert < quads);
            s += select(0.0, dot(w3, h[i3]), i + 3u * per_expert < quads);
        }
    }
    partial_sums[lane] = s;
    workgroupBarrier();
    for (var stride = per_expert / 2u; stride > 0u; stride = stride / 2u) {
        if (sub < stride) {
            partial_sums[lane] = partial_sums[lane] + partial_sums[lane + stride];
        }
        workgroupBarrier();
    }
}

// Top-k over expert_logits by rank (an expert's rank is how many experts beat it: a larger
// logit, or an equal one with a lower index; the k of rank < k are the chosen, in rank order:
// one pass over EXPERTS values per thread and one barrier instead of k rounds of an arg-max
// tree), then the softmax over the k into ids and weights.
fn pick_top_k(lane: u32) {
    if (lane < MAX_K) {
        // A NaN logit ranks nowhere; its slot keeps an id no expert kernel accepts.
        chosen_value[lane] = NEG_BIG;
        chosen_index[lane] = 0xffffffffu;
    }
    workgroupBarrier();
    if (lane < params.n_experts) {
        let v = expert_logits[lane];
        var rank = 0u;
        for (var o = 0u; o < params.n_experts; o += 1u) {
            let other = expert_logits[o];
            if (other > v || (other == v && o < lane)) {
                rank += 1u;
            }
        }
        if (rank < params.k) {
            chosen_value[rank] = v;
            chosen_index[rank] = lane;
        }
    }
    workgroupBarrier();
    if (lane == 0u) {
        let m = chosen_value[0];
        var total = 0.0;
        for (var j = 0u; j < params.k; j += 1u) {
            total += exp(chosen_value[j] - m);
        }
        for (var j = 0u; j < params.k; j += 1u) {
            ids[j] = chosen_index[j];
            weights[j] = exp(chosen_value[j] - m) / total;
        }
    }
}

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
