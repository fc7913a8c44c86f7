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
// TOKEN_THREADS tokens. The columns go 32 at a time (one block of every format; 16 with half
// steps, lib/tiles.wesl) through shared memory, decoded to f32 and transposed: w_tile[at(q, p)]
// = rows 4q .. 4q + 3 at column p, x_tile[at(v, p)] = tokens 4v .. 4v + 3 at column p, so the
// inner loop reads whole vec4s along rows and along tokens. Thread (rt, tt) keeps gate and up
// rows 4 rt .. 4 rt + 3 (the SwiGLU pairs sit in one thread) times tokens 4 tt .. + 3 (and
// 4 (TOKEN_THREADS + tt) .. + 3 with TOKEN_VECS = 2)
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

import package::lib::tiles::{w_tile, x_tile, RawQuad, RawX, store_quad, store_x, at, steps_per_block, x_units_per_token_quad};
import package::lib::moe_grouped::{
    WEIGHT_FORMAT, ROW_THREADS, TOKEN_THREADS, TOKEN_VECS, WG_SIZE, TOKEN_TILE, W_PARTS, STEP_COLS,
    params, scales, data, bias, x, sorted, tiles, tile_slot, tile_x_base, load_quad, load_x,
};

@group(0) @binding(7) var<storage, read_write> out: array<f32>;

// Tile quad q: gate rows for q < ROW_THREADS, then the up rows of the same outputs. Its first
// output row, and its first bound weight row.
fn quad_output(q: u32, r0: u32) -> u32 {
    return r0 + 4u * (q % ROW_THREADS);
}

fn quad_row(q: u32, r0: u32, local_expert: u32) -> u32 {
    let gate_or_up = select(0u, params.rows, q >= ROW_THREADS);
    return local_expert * 2u * params.rows + gate_or_up + quad_output(q, r0);
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

    let steps = select(0u, params.cols / 32u * steps_per_block(), tile_live);
    let has_x = lid < x_units_per_token_quad() * (TOKEN_TILE / 4u);
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
                w0 = load_quad(lid, b, r0, local_expert);
                if (W_PARTS > 1u) {
                    w1 = load_quad(lid + WG_SIZE, b, r0, local_expert);
                }
                if (W_PARTS > 2u) {
                    w2 = load_quad(lid + 2u * WG_SIZE, b, r0, local_expert);
                    w3 = load_quad(lid + 3u * WG_SIZE, b, r0, local_expert);
                }
            }
            if (has_x) {
                xs = load_x(lid, step + 1u);
            }
        }
        for (var p = 0u; p < STEP_COLS; p += 1u) {
            let wg = w_tile[at(rt, p)];
            let wu = w_tile[at(ROW_THREADS + rt, p)];
            let xa = x_tile[at(tt, p)];
            g0a = fma(vec4<f32>(wg.x), xa, g0a);
            g1a = fma(vec4<f32>(wg.y), xa, g1a);
            g2a = fma(vec4<f32>(wg.z), xa, g2a);
            g3a = fma(vec4<f32>(wg.w), xa, g3a);
            u0a = fma(vec4<f32>(wu.x), xa, u0a);
            u1a = fma(vec4<f32>(wu.y), xa, u1a);
            u2a = fma(vec4<f32>(wu.z), xa, u2a);
            u3a = fma(vec4<f32>(wu.w), xa, u3a);
            if (TOKEN_VECS == 2u) {
                let xb = x_tile[at(TOKEN_THREADS + tt, p)];
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
