// Causal attention for a batch of n_tokens queries at positions position0 ... (prefill), with
// sinks, GQA and an optional sliding window, tiled: a workgroup holds Q_TILE queries of one head
// (one thread a query) and walks the visible keys K_TILE at a time through shared memory with an
// online softmax. Keys of the batch itself come from k_new/v_new; earlier keys (positions below
// position0) come from the cache ring (slot = position % capacity), so the batch may be appended
// to the cache after this pass even when it is longer than a sliding layer's ring.
//   score = q.k * scale; query p sees key k when k <= p and (window == 0 or p - k < window);
//   the sink logit s joins the denominator only.
//
// Bindings (group 0):
//   0  uniform Params
//   1  q       : array<f32>  query t, head h at q[t * q_stride + q_offset + h * HEAD_DIM]      read
//   2  k_new   : array<f32>  key t, kv head g at k_new[t * kv_stride + k_offset + g * HEAD_DIM] read
//   3  v_new   : array<f32>  as k_new with v_offset                                             read
//   4  k_cache : array<u32>  [capacity][n_kv_heads][HEAD_DIM] (f32 bits or f16 pairs, KV_HALF)   read
//   5  v_cache : array<u32>  as k_cache   read
//   6  sinks   : array<f32>  [n_heads]                                                          read
//   7  out     : array<f32>  query t, head h at out[t * out_stride + h * HEAD_DIM]              write
// Dispatch: (ceil(n_tokens / Q_TILE), n_heads, 1), workgroups of Q_TILE threads.
//
// REGISTER_ROWS = 1 keeps each thread's query and output row in registers (HEAD_DIM / 4 vec4s,
// HEAD_DIM ≤ 4 * MAX_HEAD_VECS) and the key/value tiles as vec4s that every thread of the
// workgroup reads at the same address (a broadcast): a score or an accumulation then costs one
// shared load per four multiply-adds instead of a shared read-modify-write per value.

import package::lib::kv_cache::{load_k, load_v};

struct Params {
    n_tokens: u32,
    n_heads: u32,
    n_kv_heads: u32,
    position0: u32,
    capacity: u32,
    window: u32,
    q_stride: u32,
    q_offset: u32,
    kv_stride: u32,
    k_offset: u32,
    v_offset: u32,
    out_stride: u32,
    scale: f32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

override HEAD_DIM: u32 = 64u;
override KV_HALF: u32 = 0u;
override Q_TILE: u32 = 16u;
override K_TILE: u32 = 16u;
override REGISTER_ROWS: u32 = 0u;
const MAX_HEAD_VECS: u32 = 16u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k_new: array<f32>;
@group(0) @binding(3) var<storage, read> v_new: array<f32>;
@group(0) @binding(4) var<storage, read> k_cache: array<u32>;
@group(0) @binding(5) var<storage, read> v_cache: array<u32>;
@group(0) @binding(6) var<storage, read> sinks: array<f32>;
@group(0) @binding(7) var<storage, read_write> out: array<f32>;

// Per-query rows are stored transposed ([d][query], [j][query]): the threads of a warp read
// neighbouring words (distinct banks) instead of words HEAD_DIM or K_TILE apart, which put
// every thread of a warp on the same shared-memory bank.
// (One word each when REGISTER_ROWS keeps the rows in registers and the tiles as vec4s.)
var<workgroup> q_tile: array<f32, Q_TILE * HEAD_DIM * (1u - REGISTER_ROWS) + 1u>;
var<workgroup> acc_tile: array<f32, Q_TILE * HEAD_DIM * (1u - REGISTER_ROWS) + 1u>;
var<workgroup> k_tile: array<f32, K_TILE * HEAD_DIM * (1u - REGISTER_ROWS) + 1u>;
var<workgroup> v_tile: array<f32, K_TILE * HEAD_DIM * (1u - REGISTER_ROWS) + 1u>;
var<workgroup> k_vecs: array<vec4<f32>, K_TILE * HEAD_DIM / 4u * REGISTER_ROWS + 1u>;
var<workgroup> v_vecs: array<vec4<f32>, K_TILE * HEAD_DIM / 4u * REGISTER_ROWS + 1u>;
var<workgroup> p_tile: array<f32, Q_TILE * K_TILE>;

const NEG_BIG: f32 = -3.0e38;

// Key (or value) d of position kp for KV head `kv_head`: from the batch when kp ≥ position0,
// else from the cache ring.
fn key_at(kp: u32, kv_head: u32, d: u32) -> f32 {
    if (kp >= params.position0) {
        return k_new[(kp - params.position0) * params.kv_stride + kv_head * HEAD_DIM + d + params.k_offset];
    }
    return load_k(((kp % params.capacity) * params.n_kv_heads + kv_head) * HEAD_DIM + d);
}

fn value_at(kp: u32, kv_head: u32, d: u32) -> f32 {
    if (kp >= params.position0) {
        return v_new[(kp - params.position0) * params.kv_stride + kv_head * HEAD_DIM + d + params.v_offset];
    }
    return load_v(((kp % params.capacity) * params.n_kv_heads + kv_head) * HEAD_DIM + d);
}

// The keys [x, y) a workgroup whose first query is token `t_first` visits: up to its last query,
// from the first key its first query sees (the window on sliding layers).
fn key_range(t_first: u32) -> vec2<u32> {
    let t_last = min(t_first + Q_TILE, params.n_tokens) - 1u;
    let first_query = params.position0 + t_first;
    var k_begin = 0u;
    if (params.window > 0u && first_query + 1u > params.window) {
        k_begin = first_query + 1u - params.window;
    }
    return vec2<u32>(k_begin, params.position0 + t_last + 1u);
}

// What the unnormalised output of a query with running max `m` and sum `l` is multiplied by:
// the head's sink logit joins the softmax denominator only.
fn output_scale(head: u32, m: f32, l: f32) -> f32 {
    let sink = sinks[head];
    let m_all = max(m, sink);
    let correction = exp(m - m_all);
    let total = l * correction + exp(sink - m_all);
    return correction / total;
}

@compute @workgroup_size(Q_TILE)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    if (REGISTER_ROWS == 1u) {
        main_registers(lid.x, wid);
    } else {
        main_shared(lid.x, wid);
    }
}

// REGISTER_ROWS = 1: the query and output rows of thread `lane` live in registers.
fn main_registers(lane: u32, wid: vec3<u32>) {
    let head = wid.y;
    let kv_head = head / (params.n_heads / params.n_kv_heads);
    let t_first = wid.x * Q_TILE;
    let t = t_first + lane;
    let valid = t < params.n_tokens;
    let qp = params.position0 + t;
    let head_vecs = HEAD_DIM / 4u;

    let keys = key_range(t_first);
    let k_begin = keys.x;
    let k_end = keys.y;

    var qv: array<vec4<f32>, MAX_HEAD_VECS>;
    var acc: array<vec4<f32>, MAX_HEAD_VECS>;
    let q_base = min(t, params.n_tokens - 1u) * params.q_stride + params.q_offset + head * HEAD_DIM;
    for (var v = 0u; v < head_vecs; v += 1u) {
        let i = q_base + 4u * v;
        qv[v] = select(vec4<f32>(0.0), vec4<f32>(q[i], q[i + 1u], q[i + 2u], q[i + 3u]), valid);
        acc[v] = vec4<f32>(0.0);
    }
    var m = NEG_BIG;
    var l = 0.0;

    for (var kt = k_begin; kt < k_end; kt += K_TILE) {
        for (var i = lane; i < K_TILE * head_vecs; i += Q_TILE) {
            let kp = kt + i / head_vecs;
            let d = 4u * (i % head_vecs);
            var kv = vec4<f32>(0.0);
            var vv = vec4<f32>(0.0);
            if (kp < k_end) {
                kv = vec4<f32>(key_at(kp, kv_head, d), key_at(kp, kv_head, d + 1u), key_at(kp, kv_head, d + 2u), key_at(kp, kv_head, d + 3u));
                vv = vec4<f32>(value_at(kp, kv_head, d), value_at(kp, kv_head, d + 1u), value_at(kp, kv_head, d + 2u),
                               value_at(kp, kv_head, d + 3u));
            }
            k_vecs[i] = kv;
            v_vecs[i] = vv;
        }
        workgroupBarrier();
        if (valid) {
            var tile_max = NEG_BIG;
            for (var j = 0u; j < K_TILE; j += 1u) {
                let kp = kt + j;
                var s = NEG_BIG;
                if (kp <= qp && (params.window == 0u || qp - kp < params.window)) {
                    var dot_qk = vec4<f32>(0.0);
                    for (var v = 0u; v < head_vecs; v += 1u) {
                        dot_qk += qv[v] * k_vecs[j * head_vecs + v];
                    }
                    s = (dot_qk.x + dot_qk.y + dot_qk.z + dot_qk.w) * params.scale;
                }
                p_tile[j * Q_TILE + lane] = s;
                tile_max = max(tile_max, s);
            }
            let m_new = max(m, tile_max);
            let correction = exp(m - m_new);
            var tile_sum = 0.0;
            for (var v = 0u; v < head_vecs; v += 1u) {
                acc[v] *= correction;
            }
            for (var j = 0u; j < K_TILE; j += 1u) {
                let s = p_tile[j * Q_TILE + lane];
                var p = 0.0;
                if (s > NEG_BIG) {
                    p = exp(s - m_new);
                }
                tile_sum += p;
                for (var v = 0u; v < head_vecs; v += 1u) {
                    acc[v] += p * v_vecs[j * head_vecs + v];
                }
            }
            l = l * correction + tile_sum;
            m = m_new;
        }
        workgroupBarrier();
    }

    if (valid) {
        let scale_out = output_scale(head, m, l);
        let o = t * params.out_stride + head * HEAD_DIM;
        for (var v = 0u; v < head_vecs; v += 1u) {
            let r = acc[v] * scale_out;
            out[o + 4u * v] = r.x;
            out[o + 4u * v + 1u] = r.y;
            out[o + 4u * v + 2u] = r.z;
            out[o + 4u * v + 3u] = r.w;
        }
    }
}

// REGISTER_ROWS = 0: rows in shared memory, stored transposed.
fn main_shared(lane: u32, wid: vec3<u32>) {
    let head = wid.y;
    let kv_head = head / (params.n_heads / params.n_kv_heads);
    let t_first = wid.x * Q_TILE;
    let t = t_first + lane;
    let valid = t < params.n_tokens;
    let qp = params.position0 + t;

    let keys = key_range(t_first);
    let k_begin = keys.x;
    let k_end = keys.y;

    for (var d = 0u; d < HEAD_DIM; d += 1u) {
        var v = 0.0;
        if (valid) {
            v = q[t * params.q_stride + params.q_offset + head * HEAD_DIM + d];
        }
        q_tile[d * Q_TILE + lane] = v;
        acc_tile[d * Q_TILE + lane] = 0.0;
    }
    var m = NEG_BIG;
    var l = 0.0;

    for (var kt = k_begin; kt < k_end; kt += K_TILE) {
        for (var i = lane; i < K_TILE * HEAD_DIM; i += Q_TILE) {
            let kp = kt + i / HEAD_DIM;
            let d = i % HEAD_DIM;
            var kv = 0.0;
            var vv = 0.0;
            if (kp < k_end) {
                if (kp >= params.position0) {
                    let src = (kp - params.position0) * params.kv_stride + kv_head * HEAD_DIM + d;
                    kv = k_new[src + params.k_offset];
                    vv = v_new[src + params.v_offset];
                } else {
                    let src = ((kp % params.capacity) * params.n_kv_heads + kv_head) * HEAD_DIM + d;
                    kv = load_k(src);
                    vv = load_v(src);
                }
            }
            k_tile[i] = kv;
            v_tile[i] = vv;
        }
        workgroupBarrier();
        if (valid) {
            var tile_max = NEG_BIG;
            for (var j = 0u; j < K_TILE; j += 1u) {
                let kp = kt + j;
                var s = NEG_BIG;
                if (kp <= qp && (params.window == 0u || qp - kp < params.window)) {
                    var dot_qk = 0.0;
                    for (var d = 0u; d < HEAD_DIM; d += 1u) {
                        dot_qk += q_tile[d * Q_TILE + lane] * k_tile[j * HEAD_DIM + d];
                    }
                    s = dot_qk * params.scale;
                }
                p_tile[j * Q_TILE + lane] = s;
                tile_max = max(tile_max, s);
            }
            let m_new = max(m, tile_max);
            let correction = exp(m - m_new);
            var tile_sum = 0.0;
            for (var j = 0u; j < K_TILE; j += 1u) {
                let s = p_tile[j * Q_TILE + lane];
                var p = 0.0;
                if (s > NEG_BIG) {
                    p = exp(s - m_new);
                }
                p_tile[j * Q_TILE + lane] = p;
                tile_sum += p;
            }
            l = l * correction + tile_sum;
            for (var d = 0u; d < HEAD_DIM; d += 1u) {
                var a = acc_tile[d * Q_TILE + lane] * correction;
                for (var j = 0u; j < K_TILE; j += 1u) {
                    a += p_tile[j * Q_TILE + lane] * v_tile[j * HEAD_DIM + d];
                }
                acc_tile[d * Q_TILE + lane] = a;
            }
            m = m_new;
        }
        workgroupBarrier();
    }

    if (valid) {
        let scale_out = output_scale(head, m, l);
        for (var d = 0u; d < HEAD_DIM; d += 1u) {
            out[t * params.out_stride + head * HEAD_DIM + d] = acc_tile[d * Q_TILE + lane] * scale_out;
        }
    }
}
