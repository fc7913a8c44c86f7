// Mixture-of-experts down projection for a batch, grouped by expert (prefill): a workgroup
// takes one tile of slots that chose the same expert (from f32_moe_group.wgsl) and a range of
// output rows, and multiplies the expert's rows by all the tile's activations, so each weight is
// read and decoded once per tile. Each slot's weighted output goes to its own row of slot_out;
// f32_moe_slot_sum.wgsl then adds a token's k rows to the residual in a fixed order (no float
// atomics, so the result is reproducible). Same math as f32_moe_down_sum.wgsl (decode):
//   slot_out[slot][r] = w[slot] * (Wdown_e . a[slot] + bdown_e[r])          (e = ids[slot])
//
// The tiling of f32_moe_gate_up_grouped.wgsl (see there for the why of every choice): 8 *
// ROW_THREADS consecutive rows (quads of four) and TOKEN_TILE = 4 * TOKEN_VECS * TOKEN_THREADS
// slots a workgroup, 32 columns (one block) a step through shared memory, decoded and
// transposed, with the next block's raw words prefetched into registers; thread (rt, tt) keeps
// rows 4 rt .. + 3 and 4 * ROW_THREADS + 4 rt .. + 3 times 4 or 8 slots in named vec4 sums.
// An expert stack larger than the binding limit is one dispatch per bound expert range
// [expert_begin, expert_end); tiles of other experts (and tiles past the tile count) do nothing.
//
// Bindings (group 0):
//   0  uniform Params
//   1  scales   : array<u32>        [bound experts * rows][scale_words_per_row]   read
//   2  data     : array<vec4<u32>>  [bound experts * rows][data_vec4_per_row]     read
//   3  bias     : array<f32>        [n_experts][rows]                             read (has_bias = 1)
//   4  x        : array<vec4<f32>>  [n_slots][x_stride / 4] (the SwiGLU output)   read
//   5  sorted   : array<u32>        [n_slots] slots by expert                     read (f32_moe_group)
//   6  tiles    : array<vec4<u32>>  [1 + max tiles]                               read (f32_moe_group)
//   7  weights  : array<f32>        [n_slots] router weights                      read
//   8  slot_out : array<f32>        [n_slots][rows]                               write
// Dispatch: (ceil(rows / (8 * ROW_THREADS)), max tiles, 1); WG_SIZE = ROW_THREADS * TOKEN_THREADS.

import package::lib::tiles::{w_tile, x_tile, RawQuad, RawX, store_quad, store_x, at, steps_per_block, x_units_per_token_quad};
import package::lib::moe_grouped::{
    WEIGHT_FORMAT, ROW_THREADS, TOKEN_THREADS, TOKEN_VECS, WG_SIZE, TOKEN_TILE, W_PARTS, STEP_COLS,
    params, scales, data, bias, x, sorted, tiles, tile_slot, tile_x_base, load_quad, load_x,
};

@group(0) @binding(7) var<storage, read> weights: array<f32>;
@group(0) @binding(8) var<storage, read_write> slot_out: array<f32>;

// Tile quad q: output rows r0 + 4q .. + 3. Its first output row, and its first bound weight row.
fn quad_output(q: u32, r0: u32) -> u32 {
    return r0 + 4u * q;
}

fn quad_row(q: u32, r0: u32, local_expert: u32) -> u32 {
    return local_expert * params.rows + quad_output(q, r0);
}

// Output row r for tile slots t .. t + 3 (sums y), weighted, stored for the slots inside the tile.
fn emit4(expert: u32, r: u32, t: u32, count: u32, y: vec4<f32>) {
    if (r >= params.rows || t >= count) {
        return;
    }
    var b = 0.0;
    if (params.has_bias == 1u) {
        b = bias[expert * params.rows + r];
    }
    let v = y + vec4<f32>(b);
    let s0 = tile_slot[t];
    slot_out[s0 * params.rows + r] = weights[s0] * v.x;
    if (t + 1u < count) {
        let s1 = tile_slot[t + 1u];
        slot_out[s1 * params.rows + r] = weights[s1] * v.y;
    }
    if (t + 2u < count) {
        let s2 = tile_slot[t + 2u];
        slot_out[s2 * params.rows + r] = weights[s2] * v.z;
    }
    if (t + 3u < count) {
        let s3 = tile_slot[t + 3u];
        slot_out[s3 * params.rows + r] = weights[s3] * v.w;
    }
}

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let r0 = wid.x * 8u * ROW_THREADS;
    let info = tiles[1u + wid.y];
    let expert = info.x;
    let first = info.y;
    let count = info.z;
    let tile_live = wid.y < tiles[0].x && expert >= params.expert_begin && expert < params.expert_end && count > 0u;
    let local_expert = expert - params.expert_begin;

    for (var t = lid; t < TOKEN_TILE; t += WG_SIZE) {
        // Slots past the tile's count repeat its last one: their sums are never stored.
        var slot = 0u;
        if (tile_live) {
            slot = sorted[first + min(t, count - 1u)];
        }
        tile_slot[t] = slot;
        tile_x_base[t] = slot * (params.x_stride / 4u);
    }
    workgroupBarrier();

    let rt = lid / TOKEN_THREADS;
    let tt = lid % TOKEN_THREADS;
    // Sums: l<i><v> / h<i><v> = row 4 rt + i / 4 ROW_THREADS + 4 rt + i, slot vec4 v (a: tt, b: TOKEN_THREADS + tt).
    var l0a = vec4<f32>(0.0); var l1a = vec4<f32>(0.0); var l2a = vec4<f32>(0.0); var l3a = vec4<f32>(0.0);
    var h0a = vec4<f32>(0.0); var h1a = vec4<f32>(0.0); var h2a = vec4<f32>(0.0); var h3a = vec4<f32>(0.0);
    var l0b = vec4<f32>(0.0); var l1b = vec4<f32>(0.0); var l2b = vec4<f32>(0.0); var l3b = vec4<f32>(0.0);
    var h0b = vec4<f32>(0.0); var h1b = vec4<f32>(0.0); var h2b = vec4<f32>(0.0); var h3b = vec4<f32>(0.0);

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
                let xb = x_tile[at(TOKEN_THREADS + tt, p)];
                l0b = fma(vec4<f32>(wl.x), xb, l0b);
                l1b = fma(vec4<f32>(wl.y), xb, l1b);
                l2b = fma(vec4<f32>(wl.z), xb, l2b);
                l3b = fma(vec4<f32>(wl.w), xb, l3b);
                h0b = fma(vec4<f32>(wh.x), xb, h0b);
                h1b = fma(vec4<f32>(wh.y), xb, h1b);
                h2b = fma(vec4<f32>(wh.z), xb, h2b);
                h3b = fma(vec4<f32>(wh.w), xb, h3b);
            }
        }
    }

    if (tile_live) {
        let r = r0 + 4u * rt;
        let rh = r + 4u * ROW_THREADS;
        let ta = 4u * tt;
        emit4(expert, r, ta, count, l0a);
        emit4(expert, r + 1u, ta, count, l1a);
        emit4(expert, r + 2u, ta, count, l2a);
        emit4(expert, r + 3u, ta, count, l3a);
        emit4(expert, rh, ta, count, h0a);
        emit4(expert, rh + 1u, ta, count, h1a);
        emit4(expert, rh + 2u, ta, count, h2a);
        emit4(expert, rh + 3u, ta, count, h3a);
        if (TOKEN_VECS == 2u) {
            let tb = 4u * (TOKEN_THREADS + tt);
            emit4(expert, r, tb, count, l0b);
            emit4(expert, r + 1u, tb, count, l1b);
            emit4(expert, r + 2u, tb, count, l2b);
            emit4(expert, r + 3u, tb, count, l3b);
            emit4(expert, rh, tb, count, h0b);
            emit4(expert, rh + 1u, tb, count, h1b);
            emit4(expert, rh + 2u, tb, count, h2b);
            emit4(expert, rh + 3u, tb, count, h3b);
        }
    }
}
