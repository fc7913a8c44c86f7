// Attention for one decoded token, pass 1 of 2 (flash-decoding): the visible keys are cut into
// splits of SPLIT_KEYS keys; each workgroup takes one (split, KV head) and every query head that
// shares that KV head (GQA), up to GROUP of them, so each key and value is read once for the
// whole group instead of once per query head. For each of its heads it writes the split's
// running max m, sum of exp(score - m) l and unnormalised output acc[HEAD_DIM] = sum p * v.
// f32_sdpa_combine.wgsl then merges the splits and the head's sink logit.
//
// The query at `position` sees keys first..position with first = position + 1 - window on
// sliding layers (window > 0) and 0 otherwise. Key/value of position p sit in cache slot
// p % capacity, row layout [capacity][n_kv_heads][HEAD_DIM]. GQA: query head h reads KV head
// h / (n_heads / n_kv_heads). Scores are q.k * scale.
//
// Work split inside a workgroup:
//   scores: one key per thread; the key is read as vec4 words and dotted with every head's
//           query (held in shared memory, read as broadcasts), GROUP sums in registers;
//   softmax: WG_SIZE / GROUP threads per head reduce its max and sum;
//   values: thread t takes dimension t % HEAD_DIM of every WG_SIZE / HEAD_DIM-th key (reads
//           of consecutive threads are consecutive words), GROUP sums in registers, then the
//           key parts are added in shared memory.
// Needs HEAD_DIM % 8 == 0, WG_SIZE a multiple of HEAD_DIM and of GROUP, WG_SIZE / GROUP a power
// of two (the launcher checks).
//
// Bindings (group 0):
//   0  uniform Params
//   1  q        : array<f32>  head h at q[q_offset + h * HEAD_DIM]                read
//   2  k_cache  : array<vec4<u32>>  [capacity][n_kv_heads][HEAD_DIM] (f32 bits or f16 pairs, KV_HALF)   read
//   3  v_cache  : array<u32>  as k_cache, read as words                        read
//   4  partials : array<f32>  [n_heads][n_splits][HEAD_DIM + 2] as (m, l, acc)   write
//   5  sinks    : array<f32>  [n_heads]                                        read (finalize = 1)
//   6  out      : array<f32>  head h at out[out_offset + h * HEAD_DIM]         write (finalize = 1)
// With finalize = 1 (only when n_splits = 1, e.g. every sliding-window layer) the workgroup
// merges the sink itself and writes the head's output, so the combine pass is not launched.
// Dispatch: (n_splits, n_kv_heads * head_blocks, 1), head_blocks = ceil(group size / GROUP).

import package::lib::kv_cache::load_v;

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

override WG_SIZE: u32 = 256u;
override HEAD_DIM: u32 = 64u;
override KV_HALF: u32 = 0u;
override SPLIT_KEYS: u32 = 256u;

// Query heads per workgroup. A constant, so the per-head sums stay in registers (loops over it
// unroll; an array indexed by a run-time value would go to local memory).
const GROUP: u32 = 8u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k_cache: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read> v_cache: array<u32>;
@group(0) @binding(4) var<storage, read_write> partials: array<f32>;
@group(0) @binding(5) var<storage, read> sinks: array<f32>;
@group(0) @binding(6) var<storage, read_write> out: array<f32>;

var<workgroup> q_shared: array<vec4<f32>, GROUP * HEAD_DIM / 4u>;
var<workgroup> scores: array<f32, GROUP * SPLIT_KEYS>;
var<workgroup> reduce_buf: array<f32, WG_SIZE>;
var<workgroup> head_stats: array<f32, GROUP * 2u>;
var<workgroup> value_parts: array<f32, WG_SIZE * GROUP>;

const NEG_BIG: f32 = -3.0e38;

// The 8 values of one vec4 word group of an f16 cache row, as two vec4s.
fn halves_low(w: vec4<u32>) -> vec4<f32> {
    return vec4<f32>(unpack2x16float(w.x), unpack2x16float(w.y));
}

fn halves_high(w: vec4<u32>) -> vec4<f32> {
    return vec4<f32>(unpack2x16float(w.z), unpack2x16float(w.w));
}

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let split = wid.x;
    let lane = lid.x;
    let group_size = params.n_heads / params.n_kv_heads;
    let head_blocks = (group_size + GROUP - 1u) / GROUP;
    let kv_head = wid.y / head_blocks;
    let head0 = kv_head * group_size + (wid.y % head_blocks) * GROUP;
    let heads_here = min(GROUP, kv_head * group_size + group_size - head0);

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

    // The group's queries; heads past the group are zero (their scores are never used).
    for (var i = lane; i < GROUP * HEAD_DIM / 4u; i += WG_SIZE) {
        let g = i / (HEAD_DIM / 4u);
        var v = vec4<f32>(0.0);
        if (g < heads_here) {
            let at = params.q_offset + (head0 + g) * HEAD_DIM + (i % (HEAD_DIM / 4u)) * 4u;
            v = vec4<f32>(q[at], q[at + 1u], q[at + 2u], q[at + 3u]);
        }
        q_shared[i] = v;
    }
    workgroupBarrier();

    // Scores: one key per thread, every head of the group at once.
    let words_per_row = HEAD_DIM / select(4u, 8u, KV_HALF == 1u);
    for (var i = lane; i < count; i += WG_SIZE) {
        let slot = (begin + i) % params.capacity;
        let row = (slot * params.n_kv_heads + kv_head) * words_per_row;
        var s = array<f32, GROUP>();
        for (var c = 0u; c < words_per_row; c += 1u) {
            let w = k_cache[row + c];
            if (KV_HALF == 1u) {
                let lo = halves_low(w);
                let hi = halves_high(w);
                for (var g = 0u; g < GROUP; g += 1u) {
                    s[g] += dot(q_shared[g * HEAD_DIM / 4u + 2u * c], lo) + dot(q_shared[g * HEAD_DIM / 4u + 2u * c + 1u], hi);
                }
            } else {
                let k = bitcast<vec4<f32>>(w);
                for (var g = 0u; g < GROUP; g += 1u) {
                    s[g] += dot(q_shared[g * HEAD_DIM / 4u + c], k);
                }
            }
        }
        for (var g = 0u; g < GROUP; g += 1u) {
            scores[g * SPLIT_KEYS + i] = s[g] * params.scale;
        }
    }
    workgroupBarrier();

    // Softmax statistics: WG_SIZE / GROUP threads per head.
    let per_head = WG_SIZE / GROUP;
    let g_own = lane / per_head;
    let j = lane % per_head;
    var local_max = NEG_BIG;
    for (var i = j; i < count; i += per_head) {
        local_max = max(local_max, scores[g_own * SPLIT_KEYS + i]);
    }
    reduce_buf[lane] = local_max;
    workgroupBarrier();
    for (var stride = per_head / 2u; stride > 0u; stride = stride / 2u) {
        if (j < stride) {
            reduce_buf[lane] = max(reduce_buf[lane], reduce_buf[lane + stride]);
        }
        workgroupBarrier();
    }
    let m = reduce_buf[g_own * per_head];
    workgroupBarrier();
    var local_sum = 0.0;
    for (var i = j; i < count; i += per_head) {
        let p = exp(scores[g_own * SPLIT_KEYS + i] - m);
        scores[g_own * SPLIT_KEYS + i] = p;
        local_sum += p;
    }
    reduce_buf[lane] = local_sum;
    workgroupBarrier();
    for (var stride = per_head / 2u; stride > 0u; stride = stride / 2u) {
        if (j < stride) {
            reduce_buf[lane] = reduce_buf[lane] + reduce_buf[lane + stride];
        }
        workgroupBarrier();
    }
    if (j == 0u) {
        head_stats[2u * g_own] = m;
        head_stats[2u * g_own + 1u] = reduce_buf[lane];
    }

    // Values: dimension d of every parts-th key, all heads at once.
    let d = lane % HEAD_DIM;
    let part = lane / HEAD_DIM;
    let parts = WG_SIZE / HEAD_DIM;
    var acc = array<f32, GROUP>();
    for (var i = part; i < count; i += parts) {
        let slot = (begin + i) % params.capacity;
        let v = load_v((slot * params.n_kv_heads + kv_head) * HEAD_DIM + d);
        for (var g = 0u; g < GROUP; g += 1u) {
            acc[g] += scores[g * SPLIT_KEYS + i] * v;
        }
    }
    for (var g = 0u; g < GROUP; g += 1u) {
        value_parts[(part * GROUP + g) * HEAD_DIM + d] = acc[g];
    }
    workgroupBarrier();

    for (var o = lane; o < heads_here * HEAD_DIM; o += WG_SIZE) {
        let g = o / HEAD_DIM;
        let dim = o % HEAD_DIM;
        var total = 0.0;
        for (var p = 0u; p < parts; p += 1u) {
            total += value_parts[(p * GROUP + g) * HEAD_DIM + dim];
        }
        let head = head0 + g;
        let hm = head_stats[2u * g];
        let hl = head_stats[2u * g + 1u];
        if (params.finalize == 1u) {
            // The combine pass for a single split: M = max(m, sink), L = l e^(m - M) + e^(sink - M).
            let sink = sinks[head];
            let big = max(hm, sink);
            let keep = exp(hm - big);
            out[params.out_offset + head * HEAD_DIM + dim] = total * keep / (hl * keep + exp(sink - big));
        } else {
            let out_base = (head * params.n_splits + split) * (HEAD_DIM + 2u);
            partials[out_base + 2u + dim] = total;
            if (dim == 0u) {
                partials[out_base] = hm;
                partials[out_base + 1u] = hl;
            }
        }
    }
}
