// Mixture-of-experts down projection for a batch, grouped by expert (prefill): a workgroup
// takes one tile of slots that chose the same expert (from f32_moe_group.wgsl) and a range of
// output rows, and multiplies the expert's rows by all the tile's activations, so each weight is
// read and decoded once per tile. Each slot's weighted output goes to its own row of slot_out;
// f32_moe_slot_sum.wgsl then adds a token's k rows to the residual in a fixed order (no float
// atomics, so the result is reproducible). Same math as f32_moe_down_sum.wgsl (decode):
//   slot_out[slot][r] = w[slot] * (Wdown_e . a[slot] + bdown_e[r])          (e = ids[slot])
//
// Register tiling as in f32_moe_gate_up_grouped.wgsl: 8 * ROW_GROUPS rows and TOKEN_TILE slots
// a workgroup, 16 columns at a time through shared memory, and thread (rg, tg) keeps rows
// 4 rg .. + 3 and 4 * ROW_GROUPS + 4 rg .. + 3 times 8 slots in registers. An expert stack larger
// than the binding limit is one dispatch per bound expert range [expert_begin, expert_end).
//
// Bindings (group 0):
//   0  uniform Params
//   1  scales   : array<u32>        [bound experts * rows][scale_words_per_row]   read
//   2  data     : array<vec4<u32>>  [bound experts * rows][data_vec4_per_row]     read
//   3  bias     : array<f32>        [n_experts][rows]                             read (has_bias = 1)
//   4  x        : array<f32>        [n_slots][x_stride] (the SwiGLU output)       read
//   5  sorted   : array<u32>        [n_slots] slots by expert                     read (f32_moe_group)
//   6  tiles    : array<vec4<u32>>  [1 + max tiles]                               read (f32_moe_group)
//   7  weights  : array<f32>        [n_slots] router weights                      read
//   8  slot_out : array<f32>        [n_slots][rows]                               write
// Dispatch: (ceil(rows / (8 * ROW_GROUPS)), max tiles, 1), WG_SIZE = ROW_GROUPS * TOKEN_TILE / 8.

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
// Threads along the rows; the tile has 8 * ROW_GROUPS rows.
override ROW_GROUPS: u32 = 16u;
// Tokens per tile, a multiple of 8 (8 per thread, TOKEN_TILE / 8 threads along the tokens).
override TOKEN_TILE: u32 = 32u;
// Must be ROW_GROUPS * TOKEN_TILE / 8 (the launcher sets it with the two above).
override WG_SIZE: u32 = 64u;
override TOKEN_GROUPS: u32 = TOKEN_TILE / 8u;
// Tile rows each thread stages, 8 * ROW_GROUPS / WG_SIZE = 8 / TOKEN_GROUPS (<= 8), and
// activation vec4s, ceil(4 * TOKEN_TILE / WG_SIZE) (<= 4 with ROW_GROUPS >= 8); the launcher
// sets both with the sizes above.
override ROWS_PER_THREAD: u32 = 2u;
override X_PER_THREAD: u32 = 2u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> scales: array<u32>;
@group(0) @binding(2) var<storage, read> data: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> x: array<f32>;
@group(0) @binding(5) var<storage, read> sorted: array<u32>;
@group(0) @binding(6) var<storage, read> tiles: array<vec4<u32>>;
@group(0) @binding(7) var<storage, read> weights: array<f32>;
@group(0) @binding(8) var<storage, read_write> slot_out: array<f32>;

// w_tile[q][k] = weight rows 4q .. 4q + 3 at column k of the current 16 columns. Rows of 17
// vec4 (one spare) put the vec4s of 8 consecutive q on different banks.
var<workgroup> w_tile: array<array<vec4<f32>, 17>, 2u * ROW_GROUPS>;
// x_tile[q][k] = tokens 4q .. 4q + 3 at column k, padded the same way.
var<workgroup> x_tile: array<array<vec4<f32>, 17>, TOKEN_TILE / 4u>;
// Per slot of the tile: its index, and where its activations start in x.
var<workgroup> tile_slot: array<u32, TOKEN_TILE>;
var<workgroup> tile_x_base: array<u32, TOKEN_TILE>;
// The 16 E2M1 codes as doubled values (sign in bit 3), read by code.
var<workgroup> fp4_values: array<f32, 16>;

fn e2m1x2(code: u32) -> f32 {
    let m = code & 7u;
    var v = f32(m);
    if (m >= 4u) {
        v = f32((2u + (m & 1u)) << ((m >> 1u) - 1u));
    }
    return select(v, -v, (code & 8u) != 0u);
}

// 2^(e - 128): the E8M0 scale halved to match the doubled E2M1 table (0 below 2^-126).
fn e8m0_half(e: u32) -> f32 {
    return bitcast<f32>(select(0u, (e - 1u) << 23u, e >= 2u));
}

// The four codes in the low nibbles of the bytes of `w`, times `s`.
fn fp4x4(w: u32, s: f32) -> vec4<f32> {
    return vec4<f32>(fp4_values[w & 15u], fp4_values[(w >> 8u) & 15u],
                     fp4_values[(w >> 16u) & 15u], fp4_values[(w >> 24u) & 15u]) * s;
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

fn half4(w0: u32, w1: u32) -> vec4<f32> {
    return vec4<f32>(unpack2x16float(w0), unpack2x16float(w1));
}

fn bf4(w0: u32, w1: u32) -> vec4<f32> {
    return vec4<f32>(bf16x2(w0), bf16x2(w1));
}

// Columns k0 .. k0 + 3 of tile row j.
fn put4(k0: u32, j: u32, v: vec4<f32>) {
    let q = j / 4u;
    let c = j % 4u;
    w_tile[q][k0][c] = v.x;
    w_tile[q][k0 + 1u][c] = v.y;
    w_tile[q][k0 + 2u][c] = v.z;
    w_tile[q][k0 + 3u][c] = v.w;
}

// The raw words of one half block (16 columns) of one weight row, as loaded from the planes:
// d0 .. d3 hold what the format needs (MXFP4 and Q8_0: d0; F16, BF16: d0, d1; F32: all four);
// s is the MXFP4 E8M0 byte or the Q8_0 f16 scale bits. All zero decodes to zeros.
struct RawHalf {
    d0: vec4<u32>,
    d1: vec4<u32>,
    d2: vec4<u32>,
    d3: vec4<u32>,
    s: u32,
}

// What a thread stages for one step: its tile rows' raw halves and its activation vec4s.
struct Staged {
    w: array<RawHalf, 8>,
    x: array<vec4<f32>, 4>,
}

// Half `half` (columns 16 * half .. + 15) of block `b` of bound weight row `row`.
fn load_raw(row: u32, b: u32, half: u32) -> RawHalf {
    var raw: RawHalf;
    if (WEIGHT_FORMAT == FORMAT_MXFP4) {
        // Byte i of the block holds element i (low nibble) and i + 16 (high nibble).
        raw.d0 = data[row * params.data_vec4_per_row + b];
        raw.s = (scales[row * params.scale_words_per_row + b / 4u] >> ((b & 3u) * 8u)) & 255u;
    } else if (WEIGHT_FORMAT == FORMAT_Q8_0) {
        raw.d0 = data[row * params.data_vec4_per_row + b * 2u + half];
        raw.s = (scales[row * params.scale_words_per_row + b / 2u] >> ((b & 1u) * 16u)) & 0xffffu;
    } else if (WEIGHT_FORMAT == FORMAT_F32) {
        let base = row * params.data_vec4_per_row + b * 8u + half * 4u;
        raw.d0 = data[base];
        raw.d1 = data[base + 1u];
        raw.d2 = data[base + 2u];
        raw.d3 = data[base + 3u];
    } else {
        let base = row * params.data_vec4_per_row + b * 4u + half * 2u;
        raw.d0 = data[base];
        raw.d1 = data[base + 1u];
    }
    return raw;
}

// Decodes a raw half block into tile row j.
fn store_raw(j: u32, raw: RawHalf, half: u32) {
    if (WEIGHT_FORMAT == FORMAT_MXFP4) {
        let s = e8m0_half(raw.s);
        let w = raw.d0 >> vec4<u32>(half * 4u);
        put4(0u, j, fp4x4(w.x, s));
        put4(4u, j, fp4x4(w.y, s));
        put4(8u, j, fp4x4(w.z, s));
        put4(12u, j, fp4x4(w.w, s));
    } else if (WEIGHT_FORMAT == FORMAT_Q8_0) {
        let d = unpack2x16float(raw.s).x;
        put4(0u, j, q8x4(raw.d0.x) * d);
        put4(4u, j, q8x4(raw.d0.y) * d);
        put4(8u, j, q8x4(raw.d0.z) * d);
        put4(12u, j, q8x4(raw.d0.w) * d);
    } else if (WEIGHT_FORMAT == FORMAT_F32) {
        put4(0u, j, bitcast<vec4<f32>>(raw.d0));
        put4(4u, j, bitcast<vec4<f32>>(raw.d1));
        put4(8u, j, bitcast<vec4<f32>>(raw.d2));
        put4(12u, j, bitcast<vec4<f32>>(raw.d3));
    } else if (WEIGHT_FORMAT == FORMAT_F16) {
        put4(0u, j, half4(raw.d0.x, raw.d0.y));
        put4(4u, j, half4(raw.d0.z, raw.d0.w));
        put4(8u, j, half4(raw.d1.x, raw.d1.y));
        put4(12u, j, half4(raw.d1.z, raw.d1.w));
    } else {
        put4(0u, j, bf4(raw.d0.x, raw.d0.y));
        put4(4u, j, bf4(raw.d0.z, raw.d0.w));
        put4(8u, j, bf4(raw.d1.x, raw.d1.y));
        put4(12u, j, bf4(raw.d1.z, raw.d1.w));
    }
}

// Loads what this thread stages for step `step` (columns 16 step .. + 15) into registers:
// issued before the previous step's multiply-adds, so their latency hides behind them.
fn fetch(step: u32, lid: u32, r0: u32, local_expert: u32) -> Staged {
    var st: Staged;
    let b = step / 2u;
    let half = step % 2u;
    for (var q = 0u; q < ROWS_PER_THREAD; q += 1u) {
        let j = lid + q * WG_SIZE;
        let r = r0 + j;
        if (r < params.rows) {
            st.w[q] = load_raw(local_expert * params.rows + r, b, half);
        }
    }
    for (var p = 0u; p < X_PER_THREAD; p += 1u) {
        let i = lid + p * WG_SIZE;
        if (i < 4u * TOKEN_TILE) {
            let q = i / 16u;
            let c = step * 16u + i % 16u;
            st.x[p] = vec4<f32>(x[tile_x_base[4u * q] + c], x[tile_x_base[4u * q + 1u] + c],
                                x[tile_x_base[4u * q + 2u] + c], x[tile_x_base[4u * q + 3u] + c]);
        }
    }
    return st;
}

// Writes what `fetch` loaded into the shared tiles, weights decoded.
fn stage(st: Staged, step: u32, lid: u32) {
    for (var q = 0u; q < ROWS_PER_THREAD; q += 1u) {
        store_raw(lid + q * WG_SIZE, st.w[q], step % 2u);
    }
    for (var p = 0u; p < X_PER_THREAD; p += 1u) {
        let i = lid + p * WG_SIZE;
        if (i < 4u * TOKEN_TILE) {
            x_tile[i / 16u][i % 16u] = st.x[p];
        }
    }
}

// Output row r for tile slots t .. t + 3 (sums y), weighted, stored for the slots inside the tile.
fn emit4(expert: u32, r: u32, t: u32, count: u32, y: vec4<f32>) {
    if (r >= params.rows) {
        return;
    }
    var b = 0.0;
    if (params.has_bias == 1u) {
        b = bias[expert * params.rows + r];
    }
    let v = y + vec4<f32>(b);
    if (t < count) {
        let slot = tile_slot[t];
        slot_out[slot * params.rows + r] = weights[slot] * v.x;
    }
    if (t + 1u < count) {
        let slot = tile_slot[t + 1u];
        slot_out[slot * params.rows + r] = weights[slot] * v.y;
    }
    if (t + 2u < count) {
        let slot = tile_slot[t + 2u];
        slot_out[slot * params.rows + r] = weights[slot] * v.z;
    }
    if (t + 3u < count) {
        let slot = tile_slot[t + 3u];
        slot_out[slot * params.rows + r] = weights[slot] * v.w;
    }
}

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let half_rows = 4u * ROW_GROUPS;
    let r0 = wid.x * 8u * ROW_GROUPS;
    let info = tiles[1u + wid.y];
    let expert = info.x;
    let first = info.y;
    let count = info.z;
    let tile_live = wid.y < tiles[0].x && expert >= params.expert_begin && expert < params.expert_end;
    let local_expert = expert - params.expert_begin;

    if (lid < 16u) {
        fp4_values[lid] = e2m1x2(lid);
    }
    for (var t = lid; t < TOKEN_TILE; t += WG_SIZE) {
        // Tokens past the tile's count repeat its last one: their sums are never stored.
        var slot = 0u;
        if (tile_live) {
            slot = sorted[first + min(t, count - 1u)];
        }
        tile_slot[t] = slot;
        tile_x_base[t] = slot * params.x_stride;
    }

    let rg = lid / TOKEN_GROUPS;
    let tg = lid % TOKEN_GROUPS;
    var acc: array<vec4<f32>, 16>;

    workgroupBarrier();
    let steps = select(0u, params.cols / 16u, tile_live);
    var next: Staged;
    if (tile_live) {
        next = fetch(0u, lid, r0, local_expert);
    }
    for (var step = 0u; step < steps; step += 1u) {
        workgroupBarrier();
        stage(next, step, lid);
        workgroupBarrier();
        // The next step's loads are in flight while this step's multiply-adds run.
        if (step + 1u < steps) {
            next = fetch(step + 1u, lid, r0, local_expert);
        }
        for (var kk = 0u; kk < 16u; kk += 1u) {
            let wl = w_tile[rg][kk];
            let wh = w_tile[rg + ROW_GROUPS][kk];
            let xl = x_tile[tg][kk];
            let xh = x_tile[tg + TOKEN_GROUPS][kk];
            acc[0] = fma(vec4<f32>(wl.x), xl, acc[0]);
            acc[1] = fma(vec4<f32>(wl.x), xh, acc[1]);
            acc[2] = fma(vec4<f32>(wl.y), xl, acc[2]);
            acc[3] = fma(vec4<f32>(wl.y), xh, acc[3]);
            acc[4] = fma(vec4<f32>(wl.z), xl, acc[4]);
            acc[5] = fma(vec4<f32>(wl.z), xh, acc[5]);
            acc[6] = fma(vec4<f32>(wl.w), xl, acc[6]);
            acc[7] = fma(vec4<f32>(wl.w), xh, acc[7]);
            acc[8] = fma(vec4<f32>(wh.x), xl, acc[8]);
            acc[9] = fma(vec4<f32>(wh.x), xh, acc[9]);
            acc[10] = fma(vec4<f32>(wh.y), xl, acc[10]);
            acc[11] = fma(vec4<f32>(wh.y), xh, acc[11]);
            acc[12] = fma(vec4<f32>(wh.z), xl, acc[12]);
            acc[13] = fma(vec4<f32>(wh.z), xh, acc[13]);
            acc[14] = fma(vec4<f32>(wh.w), xl, acc[14]);
            acc[15] = fma(vec4<f32>(wh.w), xh, acc[15]);
        }
    }

    if (tile_live) {
        // acc[2i + h]: row 4 rg + i; acc[8 + 2i + h]: row 4 * ROW_GROUPS + 4 rg + i; h picks the slot half.
        let r = r0 + 4u * rg;
        let rh = r + half_rows;
        let tl = 4u * tg;
        let th = TOKEN_TILE / 2u + 4u * tg;
        emit4(expert, r, tl, count, acc[0]);
        emit4(expert, r, th, count, acc[1]);
        emit4(expert, r + 1u, tl, count, acc[2]);
        emit4(expert, r + 1u, th, count, acc[3]);
        emit4(expert, r + 2u, tl, count, acc[4]);
        emit4(expert, r + 2u, th, count, acc[5]);
        emit4(expert, r + 3u, tl, count, acc[6]);
        emit4(expert, r + 3u, th, count, acc[7]);
        emit4(expert, rh, tl, count, acc[8]);
        emit4(expert, rh, th, count, acc[9]);
        emit4(expert, rh + 1u, tl, count, acc[10]);
        emit4(expert, rh + 1u, th, count, acc[11]);
        emit4(expert, rh + 2u, tl, count, acc[12]);
        emit4(expert, rh + 2u, th, count, acc[13]);
        emit4(expert, rh + 3u, tl, count, acc[14]);
        emit4(expert, rh + 3u, th, count, acc[15]);
    }
}
