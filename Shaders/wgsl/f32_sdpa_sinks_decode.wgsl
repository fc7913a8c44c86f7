// Attention for one decoded token, pass 1 of 2 (flash-decoding): the visible keys are cut into
// splits of SPLIT_KEYS keys; each workgroup takes one (split, query head) and writes the split's
// running max m, sum of exp(score - m) l and unnormalised output acc[HEAD_DIM] = sum p * v.
// f32_sdpa_combine.wgsl then merges the splits and the head's sink logit.
//
// The query at `position` sees keys first..position with first = position + 1 - window on
// sliding layers (window > 0) and 0 otherwise. Key/value of position p sit in cache slot
// p % capacity, row layout [capacity][n_kv_heads][HEAD_DIM]. GQA: query head h reads KV head
// h / (n_heads / n_kv_heads). Scores are q.k * scale.
//
// Bindings (group 0):
//   0  uniform Params
//   1  q        : array<f32>  head h at q[q_offset + h * HEAD_DIM]                read
//   2  k_cache  : array<u32>  [capacity][n_kv_heads][HEAD_DIM] (f32 bits or f16 pairs, KV_HALF)   read
//   3  v_cache  : array<u32>  as k_cache   read
//   4  partials : array<f32>  [n_heads][n_splits][HEAD_DIM + 2] as (m, l, acc)   write
//   5  sinks    : array<f32>  [n_heads]                                        read (finalize = 1)
//   6  out      : array<f32>  head h at out[out_offset + h * HEAD_DIM]         write (finalize = 1)
// With finalize = 1 (only when n_splits = 1, e.g. every sliding-window layer) the workgroup
// merges the sink itself and writes the head's output, so the combine pass is not launched.
// Dispatch: (n_splits, n_heads, 1), n_splits = ceil(visible keys / SPLIT_KEYS).

struct Params {
    n_heads: u32,
    n_kv_heads: u32,
    position: u32,
    capacity: u32,
    window: u32,
    n_splits: u32,
    q_offset: u32,
    scale: f32,
    out_offset: u32,
    finalize: u32,
    pad0: u32,
    pad1: u32,
}

override WG_SIZE: u32 = 64u;
override HEAD_DIM: u32 = 64u;
override KV_HALF: u32 = 0u;
override SPLIT_KEYS: u32 = 256u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k_cache: array<u32>;
@group(0) @binding(3) var<storage, read> v_cache: array<u32>;
@group(0) @binding(4) var<storage, read_write> partials: array<f32>;
@group(0) @binding(5) var<storage, read> sinks: array<f32>;
@group(0) @binding(6) var<storage, read_write> out: array<f32>;

var<workgroup> q_shared: array<f32, HEAD_DIM>;
var<workgroup> scores: array<f32, SPLIT_KEYS>;
var<workgroup> reduce_buf: array<f32, WG_SIZE>;

const NEG_BIG: f32 = -3.0e38;

// Value i of a cache laid out as f32 bits (KV_HALF = 0) or packed f16 pairs (KV_HALF = 1).
fn load_k(i: u32) -> f32 {
    if (KV_HALF == 1u) {
        let pair = unpack2x16float(k_cache[i / 2u]);
        return select(pair.x, pair.y, (i & 1u) == 1u);
    }
    return bitcast<f32>(k_cache[i]);
}

fn load_v(i: u32) -> f32 {
    if (KV_HALF == 1u) {
        let pair = unpack2x16float(v_cache[i / 2u]);
        return select(pair.x, pair.y, (i & 1u) == 1u);
    }
    return bitcast<f32>(v_cache[i]);
}

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let split = wid.x;
    let head = wid.y;
    let lane = lid.x;
    let kv_head = head / (params.n_heads / params.n_kv_heads);

    var first = 0u;
    if (params.window > 0u && params.position + 1u > params.window) {
        first = params.position + 1u - params.window;
    }
    let begin = first + split * SPLIT_KEYS;
    let end = min(begin + SPLIT_KEYS, params.position + 1u);
    var count = 0u;
    if (end > begin) {
        count = end - begin;
    }

    for (var d = lane; d < HEAD_DIM; d += WG_SIZE) {
        q_shared[d] = q[params.q_offset + head * HEAD_DIM + d];
    }
    workgroupBarrier();

    var local_max = NEG_BIG;
    for (var i = lane; i < count; i += WG_SIZE) {
        let slot = (begin + i) % params.capacity;
        let base = (slot * params.n_kv_heads + kv_head) * HEAD_DIM;
        var s = 0.0;
        for (var d = 0u; d < HEAD_DIM; d += 1u) {
            s += q_shared[d] * load_k(base + d);
        }
        s = s * params.scale;
        scores[i] = s;
        local_max = max(local_max, s);
    }
    reduce_buf[lane] = local_max;
    workgroupBarrier();
    for (var stride = WG_SIZE / 2u; stride > 0u; stride = stride / 2u) {
        if (lane < stride) {
            reduce_buf[lane] = max(reduce_buf[lane], reduce_buf[lane + stride]);
        }
        workgroupBarrier();
    }
    let m = reduce_buf[0];
    workgroupBarrier();

    var local_sum = 0.0;
    for (var i = lane; i < count; i += WG_SIZE) {
        let p = exp(scores[i] - m);
        scores[i] = p;
        local_sum += p;
    }
    reduce_buf[lane] = local_sum;
    workgroupBarrier();
    for (var stride = WG_SIZE / 2u; stride > 0u; stride = stride / 2u) {
        if (lane < stride) {
            reduce_buf[lane] = reduce_buf[lane] + reduce_buf[lane + stride];
        }
        workgroupBarrier();
    }
    let l = reduce_buf[0];
    if (params.finalize == 1u) {
        // The combine pass for a single split: M = max(m, sink), L = l e^(m - M) + e^(sink - M).
        let sink = sinks[head];
        let big = max(m, sink);
        let keep = exp(m - big);
        let norm = keep / (l * keep + exp(sink - big));
        for (var d = lane; d < HEAD_DIM; d += WG_SIZE) {
            var acc = 0.0;
            for (var i = 0u; i < count; i += 1u) {
                let slot = (begin + i) % params.capacity;
                acc += scores[i] * load_v((slot * params.n_kv_heads + kv_head) * HEAD_DIM + d);
            }
            out[params.out_offset + head * HEAD_DIM + d] = acc * norm;
        }
        return;
    }

    let out_base = (head * params.n_splits + split) * (HEAD_DIM + 2u);
    for (var d = lane; d < HEAD_DIM; d += WG_SIZE) {
        var acc = 0.0;
        for (var i = 0u; i < count; i += 1u) {
            let slot = (begin + i) % params.capacity;
            acc += scores[i] * load_v((slot * params.n_kv_heads + kv_head) * HEAD_DIM + d);
        }
        partials[out_base + 2u + d] = acc;
    }
    if (lane == 0u) {
        partials[out_base] = m;
        partials[out_base + 1u] = l;
    }
}
