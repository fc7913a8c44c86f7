// Mixture-of-experts gate/up projection with the SwiGLU of GPT-OSS for a batch, grouped by
// expert (prefill): a workgroup takes one tile of slots that chose the same expert (from
// f32_moe_group.wgsl) and a range of output rows, and multiplies the expert's weight rows by all
// the tile's tokens, so each weight is read and decoded once per tile instead of once per slot.
// Same math, weights and output as f32_moe_gate_up_swiglu.wgsl (which decode keeps using):
//   g = Wgate_e . x + bgate_e;  u = Wup_e . x + bup_e;  g' = min(g, 7);  u' = clamp(u, -7, 7)
//   out[slot][r] = g' * sigmoid(1.702 * g') * (u' + 1)          (slot = t * k + j, e = ids[slot])
//
// A register-tiled matrix product (the classic SGEMM shape). The tile holds 8 * ROW_THREADS
// weight rows: the gate rows r0 .. r0 + 4 * ROW_THREADS - 1 (quads 0 .. ROW_THREADS - 1 of four
// rows each), then the up rows of the same outputs, and TOKEN_TILE = 4 * TOKEN_VECS *
// TOKEN_THREADS tokens. The columns go 32 at a time (one block of every format) through shared
// memory, decoded to f32 and transposed: w_tile[q][p] = rows 4q .. 4q + 3 at column p,
// x_tile[v][p] = tokens 4v .. 4v + 3 at column p, so the inner loop reads whole vec4s along rows
// and along tokens. Thread (rt, tt) keeps gate and up rows 4 rt .. 4 rt + 3 (the SwiGLU pairs sit
// in one thread) times tokens 4 tt .. + 3 (and 4 (TOKEN_THREADS + tt) .. + 3 with TOKEN_VECS = 2)
// in 8 or 16 named vec4 sums: 2 + TOKEN_VECS vec4 loads from shared memory per 32 * TOKEN_VECS
// multiply-adds. In a warp (TOKEN_THREADS = 8) 4 row threads share 8 token threads: the loads
// are 4 or 8 distinct consecutive vec4s, conflict-free broadcasts.
//
// Staging: thread lid takes the staging units lid, lid + WG_SIZE, ... (W_PARTS of them; 8 *
// ROW_THREADS in all): part k of the four rows of a quad, i.e. columns 4k .. 4k + 3 and
// 16 + 4k .. 16 + 4k + 3 of the block in each row (MXFP4: one u32 word a row; Q8_0 two;
// F16/BF16 four; F32 eight), so a thread writes 8 whole vec4s (four rows at one column). Column
// c = 16h + 4k + j is stored at p = 16h + 4j + k (any order of the 32 columns works as long as
// x_tile uses the same one; this one spreads the activation stores over the banks). The next
// step's raw words (and activation vec4s) are loaded into registers before this step's
// multiply-adds, so their latency hides behind them; only raw words are carried across the
// step, never decoded floats. MXFP4 decodes through f16 bit patterns (no table, exact), Q8_0
// through the float bits, with no integer-to-float conversions.
// An expert stack larger than the binding limit is one dispatch per bound expert range
// [expert_begin, expert_end); tiles of other experts (and tiles past the tile count) do nothing.
//
// Bindings (group 0):
//   0  uniform Params
//   1  scales : array<u32>        [bound experts * 2 * rows][scale_words_per_row]   read
//   2  data   : array<vec4<u32>>  [bound experts * 2 * rows][data_vec4_per_row]     read
//   3  bias   : array<f32>        [n_experts][2 * rows] (gate bias, then up bias)   read (has_bias = 1)
//   4  x      : array<vec4<f32>>  [n_tokens][x_stride / 4]                         read
//   5  sorted : array<u32>        [n_slots] slots by expert                        read (f32_moe_group)
//   6  tiles  : array<vec4<u32>>  [1 + max tiles]                                  read (f32_moe_group)
//   7  out    : array<f32>        [n_slots][rows]                                  write
// Dispatch: (ceil(rows / (4 * ROW_THREADS)), max tiles, 1); WG_SIZE = ROW_THREADS * TOKEN_THREADS.

struct Params {
    n_slots: u32,
    k: u32,
    rows: u32,
    cols: u32,
    expert_begin: u32,
    expert_end: u32,
    x_stride: u32,
    has_bias: u32,
    scale_words_per_row: u32,
    data_vec4_per_row: u32,
    pad0: u32,
    pad1: u32,
}

const FORMAT_F32: u32 = 0u;
const FORMAT_F16: u32 = 1u;
const FORMAT_BF16: u32 = 2u;
const FORMAT_Q8_0: u32 = 3u;
const FORMAT_MXFP4: u32 = 4u;

override WEIGHT_FORMAT: u32 = 4u;
// Threads along the rows (each 4 gate + 4 up rows); at least 8.
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
@group(0) @binding(5) var<storage, read> sorted: array<u32>;
@group(0) @binding(6) var<storage, read> tiles: array<vec4<u32>>;
@group(0) @binding(7) var<storage, read_write> out: array<f32>;

// w_tile[q][p] = weight rows 4q .. 4q + 3 at column p (in the order above), x_tile[v][p] =
// tokens 4v .. 4v + 3 at column p. Rows of 33 vec4 (one spare) put the vec4s of consecutive q
// (or v) at one p on different banks.
var<workgroup> w_tile: array<array<vec4<f32>, 33>, 2u * ROW_THREADS>;
var<workgroup> x_tile: array<array<vec4<f32>, 33>, TOKEN_TILE / 4u>;
// Per token of the tile: its slot, and the vec4 index of its activations in x.
var<workgroup> tile_slot: array<u32, TOKEN_TILE>;
var<workgroup> tile_x_base: array<u32, TOKEN_TILE>;

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

// Tile quad q: gate rows for q < ROW_THREADS, then the up rows of the same outputs. Its first
// output row, and its first bound weight row.
fn quad_output(q: u32, r0: u32) -> u32 {
    return r0 + 4u * (q % ROW_THREADS);
}

fn quad_row(q: u32, r0: u32, local_expert: u32) -> u32 {
    let gate_or_up = select(0u, params.rows, q >= ROW_THREADS);
    return local_expert * 2u * params.rows + gate_or_up + quad_output(q, r0);
}

// Staging unit u takes part unit_part(u) of quad unit_quad(u): the 8 threads of a quarter warp
// take 8 consecutive quads (their transposing stores hit 8 different banks), a warp the 4 parts
// of those quads (each row's load instruction reads 16 contiguous bytes of 8 rows).
fn unit_quad(u: u32) -> u32 {
    return (u / 32u) * 8u + u % 8u;
}

fn unit_part(u: u32) -> u32 {
    return (u / 8u) % 4u;
}

// Staging unit u's raw words for block b: part u % 4 of the rows of quad u / 4.
fn load_quad(u: u32, b: u32, r0: u32, local_expert: u32) -> RawQuad {
    var raw: RawQuad;
    let q = unit_quad(u);
    let k = unit_part(u);
    let o = quad_output(q, r0);
    let row = quad_row(q, r0, local_expert);
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

// Activations of staging unit u = (token quad u / 8, column quad u % 8) for block b: four
// tokens' vec4s (coalesced: 8 neighbouring threads read 128 contiguous bytes of one token).
struct RawX {
    t0: vec4<f32>,
    t1: vec4<f32>,
    t2: vec4<f32>,
    t3: vec4<f32>,
}

fn load_x(u: u32, b: u32) -> RawX {
    let v = u / 8u;
    let c = b * 8u + u % 8u;
    var raw: RawX;
    raw.t0 = x[tile_x_base[4u * v] + c];
    raw.t1 = x[tile_x_base[4u * v + 1u] + c];
    raw.t2 = x[tile_x_base[4u * v + 2u] + c];
    raw.t3 = x[tile_x_base[4u * v + 3u] + c];
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

// SwiGLU-OAI of output row r for tile tokens t .. t + 3 (gate sums g, up sums u), stored for
// the tokens inside the tile.
fn emit4(expert: u32, r: u32, t: u32, count: u32, g: vec4<f32>, u: vec4<f32>) {
    if (r >= params.rows || t >= count) {
        return;
    }
    var gb = 0.0;
    var ub = 0.0;
    if (params.has_bias == 1u) {
        gb = bias[expert * 2u * params.rows + r];
        ub = bias[expert * 2u * params.rows + params.rows + r];
    }
    let gate = min(g + vec4<f32>(gb), vec4<f32>(7.0));
    let up = clamp(u + vec4<f32>(ub), vec4<f32>(-7.0), vec4<f32>(7.0));
    let act = gate / (vec4<f32>(1.0) + exp(-1.702 * gate)) * (up + vec4<f32>(1.0));
    out[tile_slot[t] * params.rows + r] = act.x;
    if (t + 1u < count) {
        out[tile_slot[t + 1u] * params.rows + r] = act.y;
    }
    if (t + 2u < count) {
        out[tile_slot[t + 2u] * params.rows + r] = act.z;
    }
    if (t + 3u < count) {
        out[tile_slot[t + 3u] * params.rows + r] = act.w;
    }
}

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let r0 = wid.x * 4u * ROW_THREADS;
    let info = tiles[1u + wid.y];
    let expert = info.x;
    let first = info.y;
    let count = info.z;
    let tile_live = wid.y < tiles[0].x && expert >= params.expert_begin && expert < params.expert_end && count > 0u;
    let local_expert = expert - params.expert_begin;

    for (var t = lid; t < TOKEN_TILE; t += WG_SIZE) {
        // Tokens past the tile's count repeat its last one: their sums are never stored.
        var slot = 0u;
        if (tile_live) {
            slot = sorted[first + min(t, count - 1u)];
        }
        tile_slot[t] = slot;
        tile_x_base[t] = (slot / params.k) * (params.x_stride / 4u);
    }
    workgroupBarrier();

    let rt = lid / TOKEN_THREADS;
    let tt = lid % TOKEN_THREADS;
    // Sums: g<i><v> / u<i><v> = gate / up row 4 rt + i, token vec4 v (a: tt, b: TOKEN_THREADS + tt).
    var g0a = vec4<f32>(0.0); var g1a = vec4<f32>(0.0); var g2a = vec4<f32>(0.0); var g3a = vec4<f32>(0.0);
    var u0a = vec4<f32>(0.0); var u1a = vec4<f32>(0.0); var u2a = vec4<f32>(0.0); var u3a = vec4<f32>(0.0);
    var g0b = vec4<f32>(0.0); var g1b = vec4<f32>(0.0); var g2b = vec4<f32>(0.0); var g3b = vec4<f32>(0.0);
    var u0b = vec4<f32>(0.0); var u1b = vec4<f32>(0.0); var u2b = vec4<f32>(0.0); var u3b = vec4<f32>(0.0);

    let steps = select(0u, params.cols / 32u, tile_live);
    let has_x = lid < 2u * TOKEN_TILE;
    // Staging units lid, lid + WG_SIZE, ... (W_PARTS of them) and the activation unit lid.
    var w0: RawQuad;
    var w1: RawQuad;
    var w2: RawQuad;
    var w3: RawQuad;
    var xs: RawX;
    if (steps > 0u) {
        w0 = load_quad(lid, 0u, r0, local_expert);
        if (W_PARTS > 1u) {
            w1 = load_quad(lid + WG_SIZE, 0u, r0, local_expert);
        }
        if (W_PARTS > 2u) {
            w2 = load_quad(lid + 2u * WG_SIZE, 0u, r0, local_expert);
            w3 = load_quad(lid + 3u * WG_SIZE, 0u, r0, local_expert);
        }
        if (has_x) {
            xs = load_x(lid, 0u);
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
            w0 = load_quad(lid, step + 1u, r0, local_expert);
            if (W_PARTS > 1u) {
                w1 = load_quad(lid + WG_SIZE, step + 1u, r0, local_expert);
            }
            if (W_PARTS > 2u) {
                w2 = load_quad(lid + 2u * WG_SIZE, step + 1u, r0, local_expert);
                w3 = load_quad(lid + 3u * WG_SIZE, step + 1u, r0, local_expert);
            }
            if (has_x) {
                xs = load_x(lid, step + 1u);
            }
        }
        for (var p = 0u; p < 32u; p += 1u) {
            let wg = w_tile[rt][p];
            let wu = w_tile[ROW_THREADS + rt][p];
            let xa = x_tile[tt][p];
            g0a = fma(vec4<f32>(wg.x), xa, g0a);
            g1a = fma(vec4<f32>(wg.y), xa, g1a);
            g2a = fma(vec4<f32>(wg.z), xa, g2a);
            g3a = fma(vec4<f32>(wg.w), xa, g3a);
            u0a = fma(vec4<f32>(wu.x), xa, u0a);
            u1a = fma(vec4<f32>(wu.y), xa, u1a);
            u2a = fma(vec4<f32>(wu.z), xa, u2a);
            u3a = fma(vec4<f32>(wu.w), xa, u3a);
            if (TOKEN_VECS == 2u) {
                let xb = x_tile[TOKEN_THREADS + tt][p];
                g0b = fma(vec4<f32>(wg.x), xb, g0b);
                g1b = fma(vec4<f32>(wg.y), xb, g1b);
                g2b = fma(vec4<f32>(wg.z), xb, g2b);
                g3b = fma(vec4<f32>(wg.w), xb, g3b);
                u0b = fma(vec4<f32>(wu.x), xb, u0b);
                u1b = fma(vec4<f32>(wu.y), xb, u1b);
                u2b = fma(vec4<f32>(wu.z), xb, u2b);
                u3b = fma(vec4<f32>(wu.w), xb, u3b);
            }
        }
    }

    if (tile_live) {
        let r = r0 + 4u * rt;
        let ta = 4u * tt;
        emit4(expert, r, ta, count, g0a, u0a);
        emit4(expert, r + 1u, ta, count, g1a, u1a);
        emit4(expert, r + 2u, ta, count, g2a, u2a);
        emit4(expert, r + 3u, ta, count, g3a, u3a);
        if (TOKEN_VECS == 2u) {
            let tb = 4u * (TOKEN_THREADS + tt);
            emit4(expert, r, tb, count, g0b, u0b);
            emit4(expert, r + 1u, tb, count, g1b, u1b);
            emit4(expert, r + 2u, tb, count, g2b, u2b);
            emit4(expert, r + 3u, tb, count, g3b, u3b);
        }
    }
}
