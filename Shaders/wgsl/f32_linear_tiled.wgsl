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
// at a time (one block of every format) through shared memory, decoded to f32 and transposed
// (w_tile[q][p] = rows 4q .. 4q + 3 at column p, x_tile[v][p] = tokens 4v .. 4v + 3), so the
// inner loop is 2 + TOKEN_VECS vec4 shared loads per 32 * TOKEN_VECS multiply-adds into 8 or
// 16 named vec4 sums (never an indexed array: a compiler may put those in local memory). The
// next block's raw words (and activation vec4s) are loaded into registers before this block's
// multiply-adds; only raw words cross a step, never decoded floats.
// Bounds: weight rows past `rows` load as zero words and are never stored; tokens past
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

const FORMAT_F32: u32 = 0u;
const FORMAT_F16: u32 = 1u;
const FORMAT_BF16: u32 = 2u;
const FORMAT_Q8_0: u32 = 3u;
const FORMAT_MXFP4: u32 = 4u;

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

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> scales: array<u32>;
@group(0) @binding(2) var<storage, read> data: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;

// w_tile[q][p] = weight rows 4q .. 4q + 3 at column p (in the order of store_quad), x_tile[v][p]
// = tokens 4v .. 4v + 3 at column p. Rows of 33 vec4 (one spare) put the vec4s of consecutive
// q (or v) at one p on different banks.
var<workgroup> w_tile: array<array<vec4<f32>, 33>, 2u * ROW_THREADS>;
var<workgroup> x_tile: array<array<vec4<f32>, 33>, TOKEN_TILE / 4u>;

// The four nibbles at bit `shift` of each byte of `w` as E2M1 values times 2^-14, through f16
// bit patterns (sign to bit 15, e1e0m to bits 11..9; e1e0 = 0 lands on f16 subnormals, which
// unpack2x16float converts exactly). The 2^14 goes into the block scale (e8m0_f16).
fn fp4x4(w: u32, shift: u32) -> vec4<f32> {
    // Bytes 0 and 2 already sit at the same place in the two 16-bit halves, as do bytes 1 and
    // 3 after a shift by 8, so each f16 pair takes two masks and shifts (no repacking).
    let t = w >> shift;
    let h02 = ((t & 0x00070007u) << 9u) | ((t & 0x00080008u) << 12u);
    let h13 = (((t >> 8u) & 0x00070007u) << 9u) | (((t >> 8u) & 0x00080008u) << 12u);
    let v02 = unpack2x16float(h02);
    let v13 = unpack2x16float(h13);
    return vec4<f32>(v02.x, v13.x, v02.y, v13.y);
}

// 2^(e - 127) * 2^14: the E8M0 block scale times the 2^14 that fp4x4 leaves out; exponents
// below 2 (scales under 2^-126) flush to zero as in the CPU reference, exponents above 240
// saturate at 2^127.
fn e8m0_f16(e: u32) -> f32 {
    return bitcast<f32>(select(0u, min(e + 14u, 254u) << 23u, e >= 2u));
}

// Four int8 of a little-endian word as floats, without integer-to-float conversions:
// 2^23 + (q + 128) has q + 128 in its low mantissa bits.
fn q8x4(w: u32) -> vec4<f32> {
    let b = w ^ 0x80808080u;
    return vec4<f32>(bitcast<f32>(0x4b000000u | (b & 255u)), bitcast<f32>(0x4b000000u | ((b >> 8u) & 255u)),
                     bitcast<f32>(0x4b000000u | ((b >> 16u) & 255u)), bitcast<f32>(0x4b000000u | (b >> 24u)))
           - vec4<f32>(8388736.0);
}

fn bf16x2(w: u32) -> vec2<f32> {
    return vec2<f32>(bitcast<f32>(w << 16u), bitcast<f32>(w & 0xffff0000u));
}

// The raw words of part k of one row's block: lo holds columns 4k .. 4k + 3 (MXFP4: word k,
// whose high nibbles are columns 16 + 4k ..; Q8_0: lo.x; F16/BF16: lo.xy; F32: all of lo), hi
// columns 16 + 4k .. + 3 the same way; s is the E8M0 byte or the Q8_0 f16 scale bits. All zero
// (a row past the matrix) decodes to zeros.
struct RawPart {
    lo: vec4<u32>,
    hi: vec4<u32>,
    s: u32,
}

// Part k of four consecutive rows, as a thread carries it from one step to the next.
struct RawQuad {
    r0: RawPart,
    r1: RawPart,
    r2: RawPart,
    r3: RawPart,
}

fn load_part(row: u32, b: u32, k: u32) -> RawPart {
    var raw: RawPart;
    let base = row * params.data_vec4_per_row;
    if (WEIGHT_FORMAT == FORMAT_MXFP4) {
        // Byte i of the block holds element i (low nibble) and i + 16 (high nibble).
        raw.lo.x = data[base + b][k];
        raw.s = (scales[row * params.scale_words_per_row + b / 4u] >> ((b & 3u) * 8u)) & 255u;
    } else if (WEIGHT_FORMAT == FORMAT_Q8_0) {
        raw.lo.x = data[base + 2u * b][k];
        raw.hi.x = data[base + 2u * b + 1u][k];
        raw.s = (scales[row * params.scale_words_per_row + b / 2u] >> ((b & 1u) * 16u)) & 0xffffu;
    } else if (WEIGHT_FORMAT == FORMAT_F32) {
        raw.lo = data[base + 8u * b + k];
        raw.hi = data[base + 8u * b + 4u + k];
    } else {
        // F16 and BF16: words 2k, 2k + 1 and 8 + 2k, 9 + 2k of the block's 16.
        let a = data[base + 4u * b + k / 2u];
        let c = data[base + 4u * b + 2u + k / 2u];
        let odd = (k & 1u) == 1u;
        raw.lo = vec4<u32>(select(a.xy, a.zw, odd), 0u, 0u);
        raw.hi = vec4<u32>(select(c.xy, c.zw, odd), 0u, 0u);
    }
    return raw;
}

// Columns 4k .. 4k + 3 (lo) and 16 + 4k .. + 3 (hi) of one row, decoded.
struct Cols {
    lo: vec4<f32>,
    hi: vec4<f32>,
}

fn decode_part(raw: RawPart) -> Cols {
    var c: Cols;
    if (WEIGHT_FORMAT == FORMAT_MXFP4) {
        let s = e8m0_f16(raw.s);
        c.lo = fp4x4(raw.lo.x, 0u) * s;
        c.hi = fp4x4(raw.lo.x, 4u) * s;
    } else if (WEIGHT_FORMAT == FORMAT_Q8_0) {
        let d = unpack2x16float(raw.s).x;
        c.lo = q8x4(raw.lo.x) * d;
        c.hi = q8x4(raw.hi.x) * d;
    } else if (WEIGHT_FORMAT == FORMAT_F32) {
        c.lo = bitcast<vec4<f32>>(raw.lo);
        c.hi = bitcast<vec4<f32>>(raw.hi);
    } else if (WEIGHT_FORMAT == FORMAT_F16) {
        c.lo = vec4<f32>(unpack2x16float(raw.lo.x), unpack2x16float(raw.lo.y));
        c.hi = vec4<f32>(unpack2x16float(raw.hi.x), unpack2x16float(raw.hi.y));
    } else {
        c.lo = vec4<f32>(bf16x2(raw.lo.x), bf16x2(raw.lo.y));
        c.hi = vec4<f32>(bf16x2(raw.hi.x), bf16x2(raw.hi.y));
    }
    return c;
}

// Tile quad q: dispatch rows r0 + 4q .. + 3 (bound weight rows weight_row_offset + the same).
// Staging unit u takes part unit_part(u) of quad unit_quad(u): the 8 threads of a quarter warp
// take 8 consecutive quads (their transposing stores hit 8 different banks), a warp the 4 parts
// of those quads (each row's load instruction reads 16 contiguous bytes of 8 rows).
fn unit_quad(u: u32) -> u32 {
    return (u / 32u) * 8u + u % 8u;
}

fn unit_part(u: u32) -> u32 {
    return (u / 8u) % 4u;
}

// Staging unit u's raw words for block b; rows past the dispatch's rows stay zero.
fn load_quad(u: u32, b: u32, r0: u32) -> RawQuad {
    var raw: RawQuad;
    let q = unit_quad(u);
    let k = unit_part(u);
    let o = r0 + 4u * q;
    let row = params.weight_row_offset + o;
    if (o < params.rows) {
        raw.r0 = load_part(row, b, k);
    }
    if (o + 1u < params.rows) {
        raw.r1 = load_part(row + 1u, b, k);
    }
    if (o + 2u < params.rows) {
        raw.r2 = load_part(row + 2u, b, k);
    }
    if (o + 3u < params.rows) {
        raw.r3 = load_part(row + 3u, b, k);
    }
    return raw;
}

// Decodes a unit's words and stores them transposed: eight vec4 stores (four rows at a column).
fn store_quad(u: u32, raw: RawQuad) {
    let q = unit_quad(u);
    let k = unit_part(u);
    let c0 = decode_part(raw.r0);
    let c1 = decode_part(raw.r1);
    let c2 = decode_part(raw.r2);
    let c3 = decode_part(raw.r3);
    // Column 16h + 4k + j goes to p = 16h + 4j + k.
    w_tile[q][k] = vec4<f32>(c0.lo.x, c1.lo.x, c2.lo.x, c3.lo.x);
    w_tile[q][4u + k] = vec4<f32>(c0.lo.y, c1.lo.y, c2.lo.y, c3.lo.y);
    w_tile[q][8u + k] = vec4<f32>(c0.lo.z, c1.lo.z, c2.lo.z, c3.lo.z);
    w_tile[q][12u + k] = vec4<f32>(c0.lo.w, c1.lo.w, c2.lo.w, c3.lo.w);
    w_tile[q][16u + k] = vec4<f32>(c0.hi.x, c1.hi.x, c2.hi.x, c3.hi.x);
    w_tile[q][20u + k] = vec4<f32>(c0.hi.y, c1.hi.y, c2.hi.y, c3.hi.y);
    w_tile[q][24u + k] = vec4<f32>(c0.hi.z, c1.hi.z, c2.hi.z, c3.hi.z);
    w_tile[q][28u + k] = vec4<f32>(c0.hi.w, c1.hi.w, c2.hi.w, c3.hi.w);
}

// The activation unit of thread lid (lid < 2 TOKEN_TILE) is token quad lid / 8, column quad
// lid % 8 of each block: four tokens' vec4s (8 neighbouring threads read 128 contiguous bytes of
// one token). XBase holds the four tokens' first vec4 in x.
struct XBase {
    t0: u32,
    t1: u32,
    t2: u32,
    t3: u32,
}

struct RawX {
    t0: vec4<f32>,
    t1: vec4<f32>,
    t2: vec4<f32>,
    t3: vec4<f32>,
}

// Token t0 + t of the batch, or the last token for t past it (read, never stored).
fn x_base(first: u32, t: u32) -> u32 {
    let token = min(first + t, params.n_tokens - 1u);
    return (params.x_offset + token * params.x_stride) / 4u;
}

fn load_x(u: u32, b: u32, base: XBase) -> RawX {
    let c = b * 8u + u % 8u;
    var raw: RawX;
    raw.t0 = x[base.t0 + c];
    raw.t1 = x[base.t1 + c];
    raw.t2 = x[base.t2 + c];
    raw.t3 = x[base.t3 + c];
    return raw;
}

fn store_x(u: u32, raw: RawX) {
    let v = u / 8u;
    let cq = u % 8u;
    // Column 4 cq + j = 16h + 4k + j (h = cq / 4, k = cq % 4) goes to p = 16h + 4j + k.
    let p = (cq / 4u) * 16u + cq % 4u;
    x_tile[v][p] = vec4<f32>(raw.t0.x, raw.t1.x, raw.t2.x, raw.t3.x);
    x_tile[v][p + 4u] = vec4<f32>(raw.t0.y, raw.t1.y, raw.t2.y, raw.t3.y);
    x_tile[v][p + 8u] = vec4<f32>(raw.t0.z, raw.t1.z, raw.t2.z, raw.t3.z);
    x_tile[v][p + 12u] = vec4<f32>(raw.t0.w, raw.t1.w, raw.t2.w, raw.t3.w);
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

    let steps = params.cols / 32u;
    let has_x = lid < 2u * TOKEN_TILE;
    var xb: XBase;
    if (has_x) {
        let v = lid / 8u;
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
        workgroupBarrier();
        store_quad(lid, w0);
        if (W_PARTS > 1u) {
            store_quad(lid + WG_SIZE, w1);
        }
        if (W_PARTS > 2u) {
            store_quad(lid + 2u * WG_SIZE, w2);
            store_quad(lid + 3u * WG_SIZE, w3);
        }
        if (has_x) {
            store_x(lid, xs);
        }
        workgroupBarrier();
        // The next block's loads are in flight while this block's multiply-adds run.
        if (step + 1u < steps) {
            w0 = load_quad(lid, step + 1u, r0);
            if (W_PARTS > 1u) {
                w1 = load_quad(lid + WG_SIZE, step + 1u, r0);
            }
            if (W_PARTS > 2u) {
                w2 = load_quad(lid + 2u * WG_SIZE, step + 1u, r0);
                w3 = load_quad(lid + 3u * WG_SIZE, step + 1u, r0);
            }
            if (has_x) {
                xs = load_x(lid, step + 1u, xb);
            }
        }
        for (var p = 0u; p < 32u; p += 1u) {
            let wl = w_tile[rt][p];
            let wh = w_tile[ROW_THREADS + rt][p];
            let xa = x_tile[tt][p];
            l0a = fma(vec4<f32>(wl.x), xa, l0a);
            l1a = fma(vec4<f32>(wl.y), xa, l1a);
            l2a = fma(vec4<f32>(wl.z), xa, l2a);
            l3a = fma(vec4<f32>(wl.w), xa, l3a);
            h0a = fma(vec4<f32>(wh.x), xa, h0a);
            h1a = fma(vec4<f32>(wh.y), xa, h1a);
            h2a = fma(vec4<f32>(wh.z), xa, h2a);
            h3a = fma(vec4<f32>(wh.w), xa, h3a);
            if (TOKEN_VECS == 2u) {
                let xv = x_tile[TOKEN_THREADS + tt][p];
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
