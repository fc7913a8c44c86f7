// The attention output projection of one decoded token, its residual add, and the router of
// the MoE block that follows, in one launch (two launches and one storage barrier become one):
//   x_res[r] += Wo[r] . attn + bo[r]                     (rows r of the projection, as f32_linear)
//   h = x_res / sqrt(mean(x_res^2) + eps) * norm         (the post-attention RMSNorm; h written out)
//   logit[e] = Wr[e] . h + br[e]; ids, weights = top-k, softmax over the k    (as f32_router_decode)
// Every workgroup computes its rows of the projection; the last workgroup to finish (a ticket
// taken with an atomic counter after its rows are stored) then runs the router over the whole
// updated residual row. Nothing waits for another workgroup, so no forward-progress guarantee
// is needed. The residual row is only touched through atomics (single writer per element, so
// an atomic load and store make the add): atomic accesses are coherent across workgroups, so
// the last workgroup reads every row the others stored before they took their tickets
// (storageBarrier orders a workgroup's stores before its ticket). The last workgroup resets the
// counter for the next launch.
//
// The router rows (368 KB for 20b, 1.5 MB for 120b) are read by that one workgroup, after
// every other has finished. So every workgroup first touches its share of the router (one word
// of each 32-byte sector), which brings the rows into L2 while the projection runs, and the
// last workgroup reads them from there: +0.5 % decode on the H100 (BENCHMARKS.md, session 8;
// 16 loads in flight a thread in the router loop instead of 4 was 3.5 % slower).
//
// The projection: formats, planes layout and the decode row walk as in f32_linear.wgsl (one
// token, two rows per row group, THREADS_PER_ROW threads a row); the router as in
// f32_router_decode.wgsl (F32 router rows, EXPERTS a power of two ≥ n_experts, ≤ WG_SIZE; the
// projection's output width is the router's COLS).
//
// Bindings (group 0):
//   0  uniform Params
//   1  scales  : array<u32>          projection scale plane [rows][scale_words_per_row]   read
//   2  data    : array<u32>          projection data plane [rows][data_vec4_per_row * 4] read
//   3  bias    : array<f32>          [rows] projection bias                               read (has_bias = 1)
//   4  x       : array<vec4<f32>>    [cols / 4] the attention output                      read
//   5  y       : array<atomic<u32>>  the residual row (f32 bits) at y[y_offset]           read_write
//   6  norm    : array<vec4<f32>>    [COLS / 4] post-attention RMSNorm weights            read
//   7  w       : array<vec4<f32>>    [n_experts][router_row_vec4] router rows             read
//   8  rbias   : array<f32>          [n_experts]                                          read (router_has_bias = 1)
//   9  normed  : array<vec4<f32>>    [COLS / 4]                                           write
//   10 ids     : array<u32>          [k]                                                  write
//   11 weights : array<f32>          [k]                                                  write
//   12 counter : array<atomic<u32>>  [1] workgroups finished; zero between launches       read_write
// Dispatch: (n_groups, 1, 1) with n_groups = ceil(ceil(rows / 2) / (WG_SIZE / THREADS_PER_ROW)).

import package::lib::activations::xin;
import package::lib::row_units::row_pair_dot;
import package::lib::router::{NEG_BIG, expert_logits, expert_dots, pick_top_k};

enable subgroups;

struct Params {
    rows: u32,
    cols: u32,
    has_bias: u32,
    scale_words_per_row: u32,
    data_vec4_per_row: u32,
    y_offset: u32,
    n_groups: u32,
    n_experts: u32,
    k: u32,
    router_row_vec4: u32,
    router_has_bias: u32,
    eps: f32,
    // Always 0: ANDed with the warming loads' sum in a branch never taken, so the compiler
    // cannot drop those loads (GLSL has no prefetch).
    warm_mask: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

override WEIGHT_FORMAT: u32 = 3u;
override WG_SIZE: u32 = 256u;
override THREADS_PER_ROW: u32 = 16u;
// 1: each row group reduces with subgroupAdd (conditions at the top of f32_linear.wgsl).
override SUBGROUPS: u32 = 0u;
override COLS: u32 = 2880u;
override EXPERTS: u32 = 32u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> scales: array<u32>;
@group(0) @binding(2) var<storage, read> data: array<u32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> y: array<atomic<u32>>;
@group(0) @binding(6) var<storage, read> norm: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read> w: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read> rbias: array<f32>;
@group(0) @binding(9) var<storage, read_write> normed: array<vec4<f32>>;
@group(0) @binding(10) var<storage, read_write> ids: array<u32>;
@group(0) @binding(11) var<storage, read_write> weights: array<f32>;
@group(0) @binding(12) var<storage, read_write> counter: array<atomic<u32>>;

var<workgroup> partial_sums: array<f32, WG_SIZE * 2u>;
var<workgroup> is_last: u32;
var<workgroup> h: array<vec4<f32>, COLS / 4u>;

fn residual(i: u32) -> f32 {
    return bitcast<f32>(atomicLoad(&y[params.y_offset + i]));
}

fn residual4(q: u32) -> vec4<f32> {
    let i = 4u * q;
    return vec4<f32>(residual(i), residual(i + 1u), residual(i + 2u), residual(i + 3u));
}

// This workgroup's rows of the projection, added to the residual.
fn project(lidx: u32, wg: u32) {
    let lane = lidx % THREADS_PER_ROW;
    let group = wg * (WG_SIZE / THREADS_PER_ROW) + lidx / THREADS_PER_ROW;
    let pairs = (params.rows + 1u) / 2u;
    let valid = group < pairs;
    let first = 2u * min(group, pairs - 1u);
    let second = min(first + 1u, params.rows - 1u);
    var sums = vec2<f32>(0.0);
    if (valid) {
        sums = row_pair_dot(first, second, lane, 0u);
    }
    var total = vec2<f32>(0.0);
    if (SUBGROUPS == 1u) {
        total = subgroupAdd(sums);
    } else {
        partial_sums[lidx] = sums.x;
        partial_sums[WG_SIZE + lidx] = sums.y;
        workgroupBarrier();
        for (var stride = THREADS_PER_ROW / 2u; stride > 0u; stride = stride / 2u) {
            if (lane < stride) {
                partial_sums[lidx] = partial_sums[lidx] + partial_sums[lidx + stride];
                partial_sums[WG_SIZE + lidx] = partial_sums[WG_SIZE + lidx] + partial_sums[WG_SIZE + lidx + stride];
            }
            workgroupBarrier();
        }
        total = vec2<f32>(partial_sums[lidx], partial_sums[WG_SIZE + lidx]);
    }
    if (lane == 0u && valid) {
        var v = total;
        if (params.has_bias == 1u) {
            v += vec2<f32>(bias[first], bias[second]);
        }
        atomicStore(&y[params.y_offset + first], bitcast<u32>(residual(first) + v.x));
        if (second != first) {
            atomicStore(&y[params.y_offset + second], bitcast<u32>(residual(second) + v.y));
        }
    }
}

// Loads this workgroup's share of the router rows (one word a 32-byte sector), so they are in
// L2 when the last workgroup runs `route`; returns their sum for `keep_warm`.
fn warm_router(lane: u32, group: u32) -> f32 {
    let sectors = (params.n_experts * params.router_row_vec4 + 1u) / 2u;
    let per_group = (sectors + params.n_groups - 1u) / params.n_groups;
    var sum = 0.0;
    for (var j = lane; j < per_group; j += WG_SIZE) {
        let sector = group * per_group + j;
        if (sector < sectors) {
            sum += w[2u * sector].x;
        }
    }
    return sum;
}

// The branch is never taken (warm_mask is 0), but the compiler cannot know that.
fn keep_warm(sum: f32) {
    if ((bitcast<u32>(sum) & params.warm_mask) != 0u) {
        normed[0] = vec4<f32>(sum);
    }
}

// The router over the finished residual row (the last workgroup only).
fn route(lane: u32) {
    let quads = COLS / 4u;
    var sq = 0.0;
    for (var i = lane; i < quads; i += WG_SIZE) {
        let v = residual4(i);
        h[i] = v;
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
    workgroupBarrier();
    // Each thread scales the quads it read above.
    for (var i = lane; i < quads; i += WG_SIZE) {
        let v = h[i] * inv_rms * norm[i];
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
            if (params.router_has_bias == 1u) {
                logit += rbias[lane];
            }
        }
        expert_logits[lane] = logit;
    }
    pick_top_k(lane);
    if (lane == 0u) {
        // Ready for the next launch (this is the only workgroup still running).
        atomicStore(&counter[0], 0u);
    }
}

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let warm = warm_router(lid.x, wid.x);
    project(lid.x, wid.x);
    keep_warm(warm);
    // Every row this workgroup stored is complete before its ticket is taken.
    storageBarrier();
    if (lid.x == 0u) {
        let finished = atomicAdd(&counter[0], 1u);
        is_last = select(0u, 1u, finished + 1u == params.n_groups);
    }
    let last = workgroupUniformLoad(&is_last);
    if (last == 1u) {
        route(lid.x);
    }
}
