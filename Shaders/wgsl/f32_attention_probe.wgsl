// Attention probe for telemetry: the softmax weights one decoded token puts on the last
// `columns` positions it sees, for each of the first n_probe_heads query heads of one layer.
// It reads what the decode attention reads (f32_sdpa_sinks_decode.wgsl's conventions) and
// writes only the weights; the attention itself is untouched.
//
// The query at `position` sees keys first..position with first = position + 1 - window on
// sliding layers (window > 0) and 0 otherwise. Key of position p sits in cache slot
// p % capacity, row layout [capacity][n_kv_heads][HEAD_DIM]. GQA: query head h reads KV head
// h / (n_heads / n_kv_heads). Score s = q.k * scale. The weight of column j (position
// position + 1 - columns + j) is exp(s - M) / (sum over ALL visible keys of exp(s - M)
// + exp(sink_h - M)), M the largest of the scores and the sink: the sink's share is in the
// denominator but has no column, so a row sums to at most 1.
//
// Bindings (group 0):
//   0  uniform Params
//   1  q        : array<f32>  head h at q[q_offset + h * HEAD_DIM]                          read
//   2  k_cache  : array<u32>  [capacity][n_kv_heads][HEAD_DIM] (f32 bits or f16 pairs, KV_HALF)  read
//   3  sinks    : array<f32>  [n_heads] sink logits                                      read
//   4  weights  : array<f32>  [n_probe_heads][columns]                                   write
// Dispatch: (n_probe_heads, 1, 1): one workgroup per probed head. columns <= MAX_COLUMNS and
// columns <= the visible keys (the launcher clips).

import package::lib::kv_cache::load_k;

struct Params {
    n_heads: u32,
    n_kv_heads: u32,
    position: u32,
    capacity: u32,
    window: u32,
    columns: u32,
    q_offset: u32,
    scale: f32,
}

override WG_SIZE: u32 = 64u;
override HEAD_DIM: u32 = 64u;
override KV_HALF: u32 = 0u;

const MAX_COLUMNS: u32 = 64u;
const NEG_BIG: f32 = -3.0e38;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k_cache: array<u32>;
@group(0) @binding(3) var<storage, read> sinks: array<f32>;
@group(0) @binding(4) var<storage, read_write> weights: array<f32>;

var<workgroup> q_shared: array<f32, HEAD_DIM>;
var<workgroup> column_scores: array<f32, MAX_COLUMNS>;
var<workgroup> reduce_max: array<f32, WG_SIZE>;
var<workgroup> reduce_sum: array<f32, WG_SIZE>;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let head = wid.x;
    let lane = lid.x;
    let kv_head = head / (params.n_heads / params.n_kv_heads);

    var first = 0u;
    if (params.window > 0u && params.position + 1u > params.window) {
        first = params.position + 1u - params.window;
    }
    let count = params.position + 1u - first;
    // Keys at index >= tail_start (of 0..count) are the columns.
    let tail_start = count - params.columns;

    for (var d = lane; d < HEAD_DIM; d += WG_SIZE) {
        q_shared[d] = q[params.q_offset + head * HEAD_DIM + d];
    }
    workgroupBarrier();

    // Each lane keeps an online softmax (running max m, sum l of exp(s - m)) over its keys.
    var m = NEG_BIG;
    var l = 0.0;
    for (var i = lane; i < count; i += WG_SIZE) {
        let slot = (first + i) % params.capacity;
        let base = (slot * params.n_kv_heads + kv_head) * HEAD_DIM;
        var s = 0.0;
        for (var d = 0u; d < HEAD_DIM; d += 1u) {
            s += q_shared[d] * load_k(base + d);
        }
        s = s * params.scale;
        if (i >= tail_start) {
            column_scores[i - tail_start] = s;
        }
        if (s > m) {
            l = l * exp(m - s) + 1.0;
            m = s;
        } else {
            l += exp(s - m);
        }
    }
    reduce_max[lane] = m;
    reduce_sum[lane] = l;
    workgroupBarrier();
    for (var stride = WG_SIZE / 2u; stride > 0u; stride = stride / 2u) {
        if (lane < stride) {
            let m1 = reduce_max[lane];
            let m2 = reduce_max[lane + stride];
            let mm = max(m1, m2);
            reduce_sum[lane] = reduce_sum[lane] * exp(m1 - mm) + reduce_sum[lane + stride] * exp(m2 - mm);
            reduce_max[lane] = mm;
        }
        workgroupBarrier();
    }

    let sink = sinks[head];
    let top = max(reduce_max[0], sink);
    let denominator = reduce_sum[0] * exp(reduce_max[0] - top) + exp(sink - top);
    for (var j = lane; j < params.columns; j += WG_SIZE) {
        weights[head * params.columns + j] = exp(column_scores[j] - top) / denominator;
    }
}
