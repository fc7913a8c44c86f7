// Dense linear layer for a batch of tokens (prefill), as a register-tiled matrix product:
//   y[t * y_stride + out_offset + m] (+)= W[m] . x[t] + bias[m]      (m = row_base + r)
// with x[t] the cols floats at x_offset + t * x_stride. Same math, weights layout, parameters
// and output as f32_linear.wgsl with TOKEN_TILE > 1 (which decode and the fused RMSNorm keep
// using); the launcher picks this kernel for batches of at least `tiledMinTokens` tokens.
//
// The tiling of f32_moe_down_grouped.wgsl (see f32_moe_gate_up_grouped.wgsl for the why of
// every choice), over one matrix instead of expert tiles: a workgroup takes 8 * ROW_THREADS
// consecutive rows (two quads of four per row thread: 4 rt .. + 3 and 4 ROW_THREADS + 4 rt ..
// + 3) and TOKEN_TILE = 4 * TOKEN_VECS * TOKEN_THREADS consecutive tokens. The columns go 32
// at a time (one block of every format; 16 with half steps, lib/tiles.wesl) through shared
// memory, decoded to f32 and transposed (w_tile[at(q, p)] = rows 4q .. 4q + 3 at column p,
// x_tile[at(v, p)] = tokens 4v .. 4v + 3), so the inner loop is 2 + TOKEN_VECS vec4 shared
// loads per 32 * TOKEN_VECS multiply-adds into 8 or 16 named vec4 sums (never an indexed
// array: a compiler may put those in local memory). The
// next block's raw words (and activation vec4s) are loaded into registers before this block's
// multiply-adds; only raw words cross a step, never decoded floats.
// Bounds: weight rows past `rows` re-read the last row and are never stored; tokens past
// n_tokens read the last token's activations again and are never stored; cols is a multiple
// of 32 (every format's block), so the last step is a whole block.
//
// Bindings (group 0):
//   0  uniform Params
//   1  scales : array<u32>        [rows_bound][scale_words_per_row]   read (unused for float formats)
//   2  data   : array<vec4<u32>>  [rows_bound][data_vec4_per_row]     read
//   3  bias   : array<f32>        [out rows]                          read (when has_bias = 1)
//   4  x      : array<vec4<f32>>  token t at x[(x_offset + t * x_stride) / 4]   read (x_offset, x_stride multiples of 4)
//   5  y      : array<f32>        [n_tokens][y_stride]                read_write
// Row r of this dispatch is bound weight row (weight_row_offset + r) and matrix row
// m = row_base + r. A matrix split into several bound row ranges is one dispatch per range.
// Dispatch: (ceil(rows / (8 * ROW_THREADS)), ceil(n_tokens / TOKEN_TILE), 1);
// WG_SIZE = ROW_THREADS * TOKEN_THREADS.

import package::lib::weight_formats::{FORMAT_F32, FORMAT_F16, FORMAT_Q8_0, FORMAT_MXFP4};
import package::lib::tiles::{
    w_tile, x_tile, RawQuad, RawX, load_rows4, unit_quad, unit_part, store_quad, store_x, at, steps_per_block, x_units_per_token_quad,
};

struct Params {
    rows: u32,
    cols: u32,
    weight_row_offset: u32,
    row_base: u32,
    n_tokens: u32,
    x_stride: u32,
    y_stride: u32,
    accumulate: u32,
    has_bias: u32,
    scale_words_per_row: u32,
    data_vec4_per_row: u32,
    out_offset: u32,
    x_offset: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

override WEIGHT_FORMAT: u32 = 3u;
// Threads along the rows (each two quads of 4 rows); a multiple of 4, at least 8.
override ROW_THREADS: u32 = 16u;
// Threads along the tokens: 2, 4 or 8; each takes TOKEN_VECS groups of 4 tokens (1 or 2).
override TOKEN_THREADS: u32 = 8u;
override TOKEN_VECS: u32 = 1u;
// The launcher sets these three from the above: ROW_THREADS * TOKEN_THREADS,
// 4 * TOKEN_VECS * TOKEN_THREADS, and the staging parts per thread 8 / TOKEN_THREADS (1, 2 or 4).
override WG_SIZE: u32 = 128u;
override TOKEN_TILE: u32 = 32u;
override W_PARTS: u32 = 1u;
// Columns a step takes: 32 (a whole block) or 16 (half steps, lib/tiles.wesl).
override STEP_COLS: u32 = 32u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> scales: array<u32>;
@group(0) @binding(2) var<storage, read> data: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;

// Tile quad q: dispatch rows r0 + 4q .. + 3 (bound weight rows weight_row_offset + the same).
// Staging unit u's raw words for block b.
fn load_quad(u: u32, b: u32, r0: u32) -> RawQuad {
    let q = unit_quad(u);
    let k = unit_part(u);
    return load_rows4(params.weight_row_offset, r0 + 4u * q, b, k);
}

// The activation unit of thread lid (lid < X * TOKEN_TILE / 4, X = x_units_per_token_quad()) is
// token quad lid / X, column quad lid % X of each step: four tokens' vec4s (neighbouring threads
// read contiguous bytes of one token). XBase holds the four tokens' first vec4 in x.
struct XBase {
    t0: u32,
    t1: u32,
    t2: u32,
    t3: u32,
}

// Token t0 + t of the batch, or the last token for t past it (read, never stored).
fn x_base(first: u32, t: u32) -> u32 {
    let token = min(first + t, params.n_tokens - 1u);
    return (params.x_offset + token * params.x_stride) / 4u;
}

fn load_x(u: u32, s: u32, base: XBase) -> RawX {
    let c = s * x_units_per_token_quad() + u % x_units_per_token_quad();
    var raw: RawX;
    raw.t0 = x[base.t0 + c];
    raw.t1 = x[base.t1 + c];
    raw.t2 = x[base.t2 + c];
    raw.t3 = x[base.t3 + c];
    return raw;
}

fn put(t: u32, m: u32, v: f32) {
    let o = t * params.y_stride + params.out_offset + m;
    if (params.accumulate == 1u) {
        y[o] = y[o] + v;
    } else {
        y[o] = v;
    }
}

// Dispatch row r for batch tokens t .. t + 3 (sums s), plus the bias, stored for the rows and
// tokens that exist.
fn emit4(r: u32, t: u32, s: vec4<f32>) {
    if (r >= params.rows || t >= params.n_tokens) {
        return;
    }
    let m = params.row_base + r;
    var b = 0.0;
    if (params.has_bias == 1u) {
        b = bias[m];
    }
    let v = s + vec4<f32>(b);
    put(t, m, v.x);
    if (t + 1u < params.n_tokens) {
        put(t + 1u, m, v.y);
    }
    if (t + 2u < params.n_tokens) {
        put(t + 2u, m, v.z);
    }
    if (t + 3u < params.n_tokens) {
        put(t + 3u, m, v.w);
    }
}

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let r0 = wid.x * 8u * ROW_THREADS;
    let first = wid.y * TOKEN_TILE;
    let rt = lid / TOKEN_THREADS;
    let tt = lid % TOKEN_THREADS;
    // Sums: l<i><v> / h<i><v> = row 4 rt + i / 4 ROW_THREADS + 4 rt + i, token vec4 v (a: tt, b: TOKEN_THREADS + tt).
    var l0a = vec4<f32>(0.0); var l1a = vec4<f32>(0.0); var l2a = vec4<f32>(0.0); var l3a = vec4<f32>(0.0);
    var h0a = vec4<f32>(0.0); var h1a = vec4<f32>(0.0); var h2a = vec4<f32>(0.0); var h3a = vec4<f32>(0.0);
    var l0b = vec4<f32>(0.0); var l1b = vec4<f32>(0.0); var l2b = vec4<f32>(0.0); var l3b = vec4<f32>(0.0);
    var h0b = vec4<f32>(0.0); var h1b = vec4<f32>(0.0); var h2b = vec4<f32>(0.0); var h3b = vec4<f32>(0.0);

    let steps = params.cols / 32u * steps_per_block();
    let has_x = lid < x_units_per_token_quad() * (TOKEN_TILE / 4u);
    var xb: XBase;
    if (has_x) {
        let v = lid / x_units_per_token_quad();
        xb.t0 = x_base(first, 4u * v);
        xb.t1 = x_base(first, 4u * v + 1u);
        xb.t2 = x_base(first, 4u * v + 2u);
        xb.t3 = x_base(first, 4u * v + 3u);
    }
    // Staging units lid, lid + WG_SIZE, ... (W_PARTS of them) and the activation unit lid.
    var w0: RawQuad;
    var w1: RawQuad;
    var w2: RawQuad;
    var w3: RawQuad;
    var xs: RawX;
    if (steps > 0u) {
        w0 = load_quad(lid, 0u, r0);
        if (W_PARTS > 1u) {
            w1 = load_quad(lid + WG_SIZE, 0u, r0);
        }
        if (W_PARTS > 2u) {
            w2 = load_quad(lid + 2u * WG_SIZE, 0u, r0);
            w3 = load_quad(lid + 3u * WG_SIZE, 0u, r0);
        }
        if (has_x) {
            xs = load_x(lid, 0u, xb);
        }
    }
    for (var step = 0u; step < steps; step += 1u) {
        // Half h of the block whose raw words w0.. hold (always 0 with whole-block steps).
        let h = step % steps_per_block();
        workgroupBarrier();
        store_quad(lid, w0, h);
        if (W_PARTS > 1u) {
            store_quad(lid + WG_SIZE, w1, h);
        }
        if (W_PARTS > 2u) {
            store_quad(lid + 2u * WG_SIZE, w2, h);
            store_quad(lid + 3u * WG_SIZE, w3, h);
        }
        if (has_x) {
            store_x(lid, xs);
        }
        workgroupBarrier();
        // The next step's loads are in flight while this step's multiply-adds run (the weights'
        // only when the next step starts a block).
        if (step + 1u < steps) {
            if ((step + 1u) % steps_per_block() == 0u) {
                let b = (step + 1u) / steps_per_block();
                w0 = load_quad(lid, b, r0);
                if (W_PARTS > 1u) {
                    w1 = load_quad(lid + WG_SIZE, b, r0);
                }
                if (W_PARTS > 2u) {
                    w2 = load_quad(lid + 2u * WG_SIZE, b, r0);
                    w3 = load_quad(lid + 3u * WG_SIZE, b, r0);
                }
            }
            if (has_x) {
                xs = load_x(lid, step + 1u, xb);
            }
        }
        for (var p = 0u; p < STEP_COLS; p += 1u) {
            let wl = w_tile[at(rt, p)];
            let wh = w_tile[at(ROW_THREADS + rt, p)];
            let xa = x_tile[at(tt, p)];
            l0a = fma(vec4<f32>(wl.x), xa, l0a);
            l1a = fma(vec4<f32>(wl.y), xa, l1a);
            l2a = fma(vec4<f32>(wl.z), xa, l2a);
            l3a = fma(vec4<f32>(wl.w), xa, l3a);
            h0a = fma(vec4<f32>(wh.x), xa, h0a);
            h1a = fma(vec4<f32>(wh.y), xa, h1a);
            h2a = fma(vec4<f32>(wh.z), xa, h2a);
            h3a = fma(vec4<f32>(wh.w), xa, h3a);
            if (TOKEN_VECS == 2u) {
                let xv = x_tile[at(TOKEN_THREADS + tt, p)];
                l0b = fma(vec4<f32>(wl.x), xv, l0b);
                l1b = fma(vec4<f32>(wl.y), xv, l1b);
                l2b = fma(vec4<f32>(wl.z), xv, l2b);
                l3b = fma(vec4<f32>(wl.w), xv, l3b);
                h0b = fma(vec4<f32>(wh.x), xv, h0b);
                h1b = fma(vec4<f32>(wh.y), xv, h1b);
                h2b = fma(vec4<f32>(wh.z), xv, h2b);
                h3b = fma(vec4<f32>(wh.w), xv, h3b);
            }
        }
    }

    let r = r0 + 4u * rt;
    let rh = r + 4u * ROW_THREADS;
    let ta = first + 4u * tt;
    emit4(r, ta, l0a);
    emit4(r + 1u, ta, l1a);
    emit4(r + 2u, ta, l2a);
    emit4(r + 3u, ta, l3a);
    emit4(rh, ta, h0a);
    emit4(rh + 1u, ta, h1a);
    emit4(rh + 2u, ta, h2a);
    emit4(rh + 3u, ta, h3a);
    if (TOKEN_VECS == 2u) {
        let tb = first + 4u * (TOKEN_THREADS + tt);
        emit4(r, tb, l0b);
        emit4(r + 1u, tb, l1b);
        emit4(r + 2u, tb, l2b);
        emit4(r + 3u, tb, l3b);
        emit4(rh, tb, h0b);
        emit4(rh + 1u, tb, h1b);
        emit4(rh + 2u, tb, h2b);
        emit4(rh + 3u, tb, h3b);
    }
}
