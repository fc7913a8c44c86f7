#version 310 es
precision highp float;
precision highp int;

#if defined(CHAINED_LAUNCH)
#define CHAINED_COHERENT coherent
#else
#define CHAINED_COHERENT
#endif

#ifndef OVERRIDE_WEIGHT_FORMAT
#define OVERRIDE_WEIGHT_FORMAT 4
#endif
const uint WEIGHT_FORMAT = uint(OVERRIDE_WEIGHT_FORMAT);
#ifndef OVERRIDE_ROW_THREADS
#define OVERRIDE_ROW_THREADS 16
#endif
const uint ROW_THREADS = uint(OVERRIDE_ROW_THREADS);
#ifndef OVERRIDE_TOKEN_THREADS
#define OVERRIDE_TOKEN_THREADS 8
#endif
const uint TOKEN_THREADS = uint(OVERRIDE_TOKEN_THREADS);
#ifndef OVERRIDE_TOKEN_VECS
#define OVERRIDE_TOKEN_VECS 1
#endif
const uint TOKEN_VECS = uint(OVERRIDE_TOKEN_VECS);
#ifndef OVERRIDE_WG_SIZE
#define OVERRIDE_WG_SIZE 128
#endif
const uint WG_SIZE = uint(OVERRIDE_WG_SIZE);
#ifndef OVERRIDE_TOKEN_TILE
#define OVERRIDE_TOKEN_TILE 32
#endif
const uint TOKEN_TILE = uint(OVERRIDE_TOKEN_TILE);
#ifndef OVERRIDE_W_PARTS
#define OVERRIDE_W_PARTS 1
#endif
const uint W_PARTS = uint(OVERRIDE_W_PARTS);
#ifndef OVERRIDE_STEP_COLS
#define OVERRIDE_STEP_COLS 32
#endif
const uint STEP_COLS = uint(OVERRIDE_STEP_COLS);

layout(local_size_x = OVERRIDE_WG_SIZE, local_size_y = 1, local_size_z = 1) in;

struct Params {
    uint n_slots;
    uint k;
    uint rows;
    uint cols;
    uint expert_begin;
    uint expert_end;
    uint x_stride;
    uint has_bias;
    uint scale_words_per_row;
    uint data_vec4_per_row;
    uint pad0;
    uint pad1;
};

struct RawPart {
    uvec4 lo;
    uvec4 hi;
    uint s;
};

struct RawQuad {
    RawPart r0;
    RawPart r1;
    RawPart r2;
    RawPart r3;
};

struct RawX {
    vec4 t0;
    vec4 t1;
    vec4 t2;
    vec4 t3;
};

// WGSL integer division: x / 0 == x, and i32's minimum / -1 == the minimum.
uint wgsl_div(uint a, uint b) {
    return a / ((b == 0u) ? 1u : b);
}

// WGSL integer remainder: truncated (the sign follows the dividend), x % 0 == 0.
uint wgsl_rem(uint a, uint b) {
    uint d = ((b == 0u) ? 1u : b);
    return a - (a / d) * d;
}

const uint FORMAT_F32 = 0u;
const uint FORMAT_F16 = 1u;
const uint FORMAT_Q8_0 = 3u;
const uint FORMAT_MXFP4 = 4u;

layout(std430, binding = 7) CHAINED_COHERENT restrict readonly buffer weights_block {
    float weights[];
};
layout(std430, binding = 8) CHAINED_COHERENT restrict buffer slot_out_block {
    float slot_out[];
};
layout(std140, binding = 0) uniform params_block {
    uint n_slots;
    uint k;
    uint rows;
    uint cols;
    uint expert_begin;
    uint expert_end;
    uint x_stride;
    uint has_bias;
    uint scale_words_per_row;
    uint data_vec4_per_row;
    uint pad0;
    uint pad1;
} params;
layout(std430, binding = 3) CHAINED_COHERENT restrict readonly buffer bias_block {
    float bias[];
};
shared uint[TOKEN_TILE] tile_slot;
shared vec4[((2u * ROW_THREADS) * (STEP_COLS + 1u))] w_tile;
shared vec4[((TOKEN_TILE / 4u) * (STEP_COLS + 1u))] x_tile;
layout(std430, binding = 5) CHAINED_COHERENT restrict readonly buffer sorted_block {
    uint sorted[];
};
layout(std430, binding = 6) CHAINED_COHERENT restrict readonly buffer tiles_block {
    uvec4 tiles[];
};
shared uint[TOKEN_TILE] tile_x_base;
layout(std430, binding = 1) CHAINED_COHERENT restrict readonly buffer scales_block {
    uint scales[];
};
layout(std430, binding = 2) CHAINED_COHERENT restrict readonly buffer data_block {
    uvec4 data[];
};
layout(std430, binding = 4) CHAINED_COHERENT restrict readonly buffer x_block {
    vec4 x[];
};

uint quad_output(uint q, uint r0) {
    return r0 + (4u * q);
}

uint quad_row(uint q, uint r0, uint local_expert) {
    return (local_expert * params.rows) + quad_output(q, r0);
}

void emit4(uint expert, uint r, uint t, uint count, vec4 y) {
    if ((r >= params.rows) || (t >= count)) {
        return;
    }
    float b = 0.0;
    if (params.has_bias == 1u) {
        b = bias[min(((expert * params.rows) + r), (uint(bias.length()) - 1u))];
    }
    vec4 v = y + vec4(b);
    uint s0 = tile_slot[min(t, (TOKEN_TILE - 1u))];
    slot_out[min(((s0 * params.rows) + r), (uint(slot_out.length()) - 1u))] = weights[min(s0, (uint(weights.length()) - 1u))] * v.x;
    if ((t + 1u) < count) {
        uint s1 = tile_slot[min((t + 1u), (TOKEN_TILE - 1u))];
        slot_out[min(((s1 * params.rows) + r), (uint(slot_out.length()) - 1u))] = weights[min(s1, (uint(weights.length()) - 1u))] * v.y;
    }
    if ((t + 2u) < count) {
        uint s2 = tile_slot[min((t + 2u), (TOKEN_TILE - 1u))];
        slot_out[min(((s2 * params.rows) + r), (uint(slot_out.length()) - 1u))] = weights[min(s2, (uint(weights.length()) - 1u))] * v.z;
    }
    if ((t + 3u) < count) {
        uint s3 = tile_slot[min((t + 3u), (TOKEN_TILE - 1u))];
        slot_out[min(((s3 * params.rows) + r), (uint(slot_out.length()) - 1u))] = weights[min(s3, (uint(weights.length()) - 1u))] * v.w;
    }
}

uint at(uint row, uint p) {
    return (row * (STEP_COLS + 1u)) + p;
}

uint steps_per_block() {
    return wgsl_div(32u, STEP_COLS);
}

uint x_units_per_token_quad() {
    return STEP_COLS / 4u;
}

uint unit_quad(uint u) {
    return ((u / 32u) * 8u) + (u % 8u);
}

uint unit_part(uint u) {
    return (u / 8u) % 4u;
}

float e8m0_f16(uint e) {
    return uintBitsToFloat(((e >= 2u) ? (min((e + 14u), 254u) << 23u) : 0u));
}

vec4 q8x4(uint w) {
    uint b = w ^ 2155905152u;
    return vec4(uintBitsToFloat((1258291200u | (b & 255u))), uintBitsToFloat((1258291200u | ((b >> 8u) & 255u))), uintBitsToFloat((1258291200u | ((b >> 16u) & 255u))), uintBitsToFloat((1258291200u | (b >> 24u)))) - vec4(8388736.0);
}

vec4 fp4x4(uint w, uint shift) {
    uint t = w >> (shift & 31u);
    uint h02 = ((t & 458759u) << 9u) | ((t & 524296u) << 12u);
    uint h13 = (((t >> 8u) & 458759u) << 9u) | (((t >> 8u) & 524296u) << 12u);
    vec2 v02 = unpackHalf2x16(h02);
    vec2 v13 = unpackHalf2x16(h13);
    return vec4(v02.x, v13.x, v02.y, v13.y);
}

vec2 bf16x2(uint w) {
    return vec2(uintBitsToFloat((w << 16u)), uintBitsToFloat((w & 4294901760u)));
}

vec4 decode_half(RawPart raw, uint h) {
    bool high = h == 1u;
    #if (OVERRIDE_WEIGHT_FORMAT == 4)
    return fp4x4(raw.lo.x, (4u * h)) * e8m0_f16(raw.s);
    #elif (OVERRIDE_WEIGHT_FORMAT == 3)
    return q8x4((high ? raw.hi.x : raw.lo.x)) * unpackHalf2x16(raw.s).x;
    #elif (OVERRIDE_WEIGHT_FORMAT == 0)
    return uintBitsToFloat((high ? raw.hi : raw.lo));
    #elif (OVERRIDE_WEIGHT_FORMAT == 1)
    uvec2 w = high ? raw.hi.xy : raw.lo.xy;
    return vec4(unpackHalf2x16(w.x), unpackHalf2x16(w.y));
    #endif
    uvec2 w_1 = high ? raw.hi.xy : raw.lo.xy;
    return vec4(bf16x2(w_1.x), bf16x2(w_1.y));
}

void store_half(uint q, uint k, RawQuad raw, uint h, uint base) {
    vec4 c0 = decode_half(raw.r0, h);
    vec4 c1 = decode_half(raw.r1, h);
    vec4 c2 = decode_half(raw.r2, h);
    vec4 c3 = decode_half(raw.r3, h);
    w_tile[min(at(q, (base + k)), (((2u * ROW_THREADS) * (STEP_COLS + 1u)) - 1u))] = vec4(c0.x, c1.x, c2.x, c3.x);
    w_tile[min(at(q, ((base + 4u) + k)), (((2u * ROW_THREADS) * (STEP_COLS + 1u)) - 1u))] = vec4(c0.y, c1.y, c2.y, c3.y);
    w_tile[min(at(q, ((base + 8u) + k)), (((2u * ROW_THREADS) * (STEP_COLS + 1u)) - 1u))] = vec4(c0.z, c1.z, c2.z, c3.z);
    w_tile[min(at(q, ((base + 12u) + k)), (((2u * ROW_THREADS) * (STEP_COLS + 1u)) - 1u))] = vec4(c0.w, c1.w, c2.w, c3.w);
}

void store_quad(uint u, RawQuad raw, uint h) {
    uint q = unit_quad(u);
    uint k = unit_part(u);
    #if (OVERRIDE_STEP_COLS == 32)
    store_half(q, k, raw, 0u, 0u);
    store_half(q, k, raw, 1u, 16u);
    #else
    store_half(q, k, raw, h, 0u);
    #endif
}

void store_x(uint u, RawX raw) {
    uint v = wgsl_div(u, x_units_per_token_quad());
    uint cq = wgsl_rem(u, x_units_per_token_quad());
    uint p = ((cq / 4u) * 16u) + (cq % 4u);
    x_tile[min(at(v, p), (((TOKEN_TILE / 4u) * (STEP_COLS + 1u)) - 1u))] = vec4(raw.t0.x, raw.t1.x, raw.t2.x, raw.t3.x);
    x_tile[min(at(v, (p + 4u)), (((TOKEN_TILE / 4u) * (STEP_COLS + 1u)) - 1u))] = vec4(raw.t0.y, raw.t1.y, raw.t2.y, raw.t3.y);
    x_tile[min(at(v, (p + 8u)), (((TOKEN_TILE / 4u) * (STEP_COLS + 1u)) - 1u))] = vec4(raw.t0.z, raw.t1.z, raw.t2.z, raw.t3.z);
    x_tile[min(at(v, (p + 12u)), (((TOKEN_TILE / 4u) * (STEP_COLS + 1u)) - 1u))] = vec4(raw.t0.w, raw.t1.w, raw.t2.w, raw.t3.w);
}

uint word(uvec4 v, uint k) {
    return (k < 2u) ? ((k == 1u) ? v.y : v.x) : ((k == 3u) ? v.w : v.z);
}

RawPart load_part(uint row, uint b, uint k) {
    RawPart raw = RawPart(uvec4(0u), uvec4(0u), 0u);
    uint base = row * params.data_vec4_per_row;
    #if (OVERRIDE_WEIGHT_FORMAT == 4)
    raw.lo.x = word(data[min((base + b), (uint(data.length()) - 1u))], k);
    raw.s = (scales[min(((row * params.scale_words_per_row) + (b / 4u)), (uint(scales.length()) - 1u))] >> (((b & 3u) * 8u) & 31u)) & 255u;
    #elif (OVERRIDE_WEIGHT_FORMAT == 3)
    raw.lo.x = word(data[min((base + (2u * b)), (uint(data.length()) - 1u))], k);
    raw.hi.x = word(data[min(((base + (2u * b)) + 1u), (uint(data.length()) - 1u))], k);
    raw.s = (scales[min(((row * params.scale_words_per_row) + (b / 2u)), (uint(scales.length()) - 1u))] >> (((b & 1u) * 16u) & 31u)) & 65535u;
    #elif (OVERRIDE_WEIGHT_FORMAT == 0)
    raw.lo = data[min(((base + (8u * b)) + k), (uint(data.length()) - 1u))];
    raw.hi = data[min((((base + (8u * b)) + 4u) + k), (uint(data.length()) - 1u))];
    #else
    uvec4 a = data[min(((base + (4u * b)) + (k / 2u)), (uint(data.length()) - 1u))];
    uvec4 c = data[min((((base + (4u * b)) + 2u) + (k / 2u)), (uint(data.length()) - 1u))];
    bool odd = (k & 1u) == 1u;
    raw.lo = uvec4((odd ? a.zw : a.xy), 0u, 0u);
    raw.hi = uvec4((odd ? c.zw : c.xy), 0u, 0u);
    #endif
    return raw;
}

RawQuad load_rows4(uint first, uint o, uint b, uint k) {
    uint last = params.rows - 1u;
    RawQuad raw = RawQuad(RawPart(uvec4(0u), uvec4(0u), 0u), RawPart(uvec4(0u), uvec4(0u), 0u), RawPart(uvec4(0u), uvec4(0u), 0u), RawPart(uvec4(0u), uvec4(0u), 0u));
    raw.r0 = load_part((first + min(o, last)), b, k);
    raw.r1 = load_part((first + min((o + 1u), last)), b, k);
    raw.r2 = load_part((first + min((o + 2u), last)), b, k);
    raw.r3 = load_part((first + min((o + 3u), last)), b, k);
    return raw;
}

RawQuad load_quad(uint u, uint b, uint r0, uint local_expert) {
    uint q = unit_quad(u);
    uint k = unit_part(u);
    uint o = quad_output(q, r0);
    uint row = quad_row(q, r0, local_expert);
    return load_rows4((row - o), o, b, k);
}

RawX load_x(uint u, uint s) {
    uint v = wgsl_div(u, x_units_per_token_quad());
    uint c = (s * x_units_per_token_quad()) + wgsl_rem(u, x_units_per_token_quad());
    RawX raw = RawX(vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0));
    raw.t0 = x[min((tile_x_base[min((4u * v), (TOKEN_TILE - 1u))] + c), (uint(x.length()) - 1u))];
    raw.t1 = x[min((tile_x_base[min(((4u * v) + 1u), (TOKEN_TILE - 1u))] + c), (uint(x.length()) - 1u))];
    raw.t2 = x[min((tile_x_base[min(((4u * v) + 2u), (TOKEN_TILE - 1u))] + c), (uint(x.length()) - 1u))];
    raw.t3 = x[min((tile_x_base[min(((4u * v) + 3u), (TOKEN_TILE - 1u))] + c), (uint(x.length()) - 1u))];
    return raw;
}

#if defined(CHAINED_LAUNCH)
void chained_launch_body() {
#else
void main() {
#endif
    uint lid = gl_LocalInvocationIndex;
    uvec3 wid = gl_WorkGroupID;
    uint r0 = (wid.x * 8u) * ROW_THREADS;
    uvec4 info = tiles[min((1u + wid.y), (uint(tiles.length()) - 1u))];
    uint expert = info.x;
    uint first = info.y;
    uint count = info.z;
    bool tile_live = (((wid.y < tiles[0u].x) && (expert >= params.expert_begin)) && (expert < params.expert_end)) && (count > 0u);
    uint local_expert = expert - params.expert_begin;
    for (uint t = lid; t < TOKEN_TILE; t += WG_SIZE) {
        uint slot = 0u;
        if (tile_live) {
            slot = sorted[min((first + min(t, (count - 1u))), (uint(sorted.length()) - 1u))];
        }
        tile_slot[t] = slot;
        tile_x_base[t] = slot * (params.x_stride / 4u);
    }
    memoryBarrierShared();
    barrier();
    uint rt = wgsl_div(lid, TOKEN_THREADS);
    uint tt = wgsl_rem(lid, TOKEN_THREADS);
    vec4 l0a = vec4(0.0);
    vec4 l1a = vec4(0.0);
    vec4 l2a = vec4(0.0);
    vec4 l3a = vec4(0.0);
    vec4 h0a = vec4(0.0);
    vec4 h1a = vec4(0.0);
    vec4 h2a = vec4(0.0);
    vec4 h3a = vec4(0.0);
    vec4 l0b = vec4(0.0);
    vec4 l1b = vec4(0.0);
    vec4 l2b = vec4(0.0);
    vec4 l3b = vec4(0.0);
    vec4 h0b = vec4(0.0);
    vec4 h1b = vec4(0.0);
    vec4 h2b = vec4(0.0);
    vec4 h3b = vec4(0.0);
    uint steps = tile_live ? ((params.cols / 32u) * steps_per_block()) : 0u;
    bool has_x = lid < (x_units_per_token_quad() * (TOKEN_TILE / 4u));
    RawQuad w0 = RawQuad(RawPart(uvec4(0u), uvec4(0u), 0u), RawPart(uvec4(0u), uvec4(0u), 0u), RawPart(uvec4(0u), uvec4(0u), 0u), RawPart(uvec4(0u), uvec4(0u), 0u));
    RawQuad w1 = RawQuad(RawPart(uvec4(0u), uvec4(0u), 0u), RawPart(uvec4(0u), uvec4(0u), 0u), RawPart(uvec4(0u), uvec4(0u), 0u), RawPart(uvec4(0u), uvec4(0u), 0u));
    RawQuad w2 = RawQuad(RawPart(uvec4(0u), uvec4(0u), 0u), RawPart(uvec4(0u), uvec4(0u), 0u), RawPart(uvec4(0u), uvec4(0u), 0u), RawPart(uvec4(0u), uvec4(0u), 0u));
    RawQuad w3 = RawQuad(RawPart(uvec4(0u), uvec4(0u), 0u), RawPart(uvec4(0u), uvec4(0u), 0u), RawPart(uvec4(0u), uvec4(0u), 0u), RawPart(uvec4(0u), uvec4(0u), 0u));
    RawX xs = RawX(vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0));
    if (steps > 0u) {
        w0 = load_quad(lid, 0u, r0, local_expert);
        #if (OVERRIDE_W_PARTS > 1)
        w1 = load_quad((lid + WG_SIZE), 0u, r0, local_expert);
        #endif
        #if (OVERRIDE_W_PARTS > 2)
        w2 = load_quad((lid + (2u * WG_SIZE)), 0u, r0, local_expert);
        w3 = load_quad((lid + (3u * WG_SIZE)), 0u, r0, local_expert);
        #endif
        if (has_x) {
            xs = load_x(lid, 0u);
        }
    }
    for (uint step_1 = 0u; step_1 < steps; step_1++) {
        uint h = wgsl_rem(step_1, steps_per_block());
        memoryBarrierShared();
        barrier();
        store_quad(lid, w0, h);
        #if (OVERRIDE_W_PARTS > 1)
        store_quad((lid + WG_SIZE), w1, h);
        #endif
        #if (OVERRIDE_W_PARTS > 2)
        store_quad((lid + (2u * WG_SIZE)), w2, h);
        store_quad((lid + (3u * WG_SIZE)), w3, h);
        #endif
        if (has_x) {
            store_x(lid, xs);
        }
        memoryBarrierShared();
        barrier();
        if ((step_1 + 1u) < steps) {
            if (wgsl_rem((step_1 + 1u), steps_per_block()) == 0u) {
                uint b = wgsl_div((step_1 + 1u), steps_per_block());
                w0 = load_quad(lid, b, r0, local_expert);
                #if (OVERRIDE_W_PARTS > 1)
                w1 = load_quad((lid + WG_SIZE), b, r0, local_expert);
                #endif
                #if (OVERRIDE_W_PARTS > 2)
                w2 = load_quad((lid + (2u * WG_SIZE)), b, r0, local_expert);
                w3 = load_quad((lid + (3u * WG_SIZE)), b, r0, local_expert);
                #endif
            }
            if (has_x) {
                xs = load_x(lid, (step_1 + 1u));
            }
        }
        for (uint p = 0u; p < STEP_COLS; p++) {
            vec4 wl = w_tile[min(at(rt, p), (((2u * ROW_THREADS) * (STEP_COLS + 1u)) - 1u))];
            vec4 wh = w_tile[min(at((ROW_THREADS + rt), p), (((2u * ROW_THREADS) * (STEP_COLS + 1u)) - 1u))];
            vec4 xa = x_tile[min(at(tt, p), (((TOKEN_TILE / 4u) * (STEP_COLS + 1u)) - 1u))];
            l0a = vec4(wl.x) * xa + l0a;
            l1a = vec4(wl.y) * xa + l1a;
            l2a = vec4(wl.z) * xa + l2a;
            l3a = vec4(wl.w) * xa + l3a;
            h0a = vec4(wh.x) * xa + h0a;
            h1a = vec4(wh.y) * xa + h1a;
            h2a = vec4(wh.z) * xa + h2a;
            h3a = vec4(wh.w) * xa + h3a;
            #if (OVERRIDE_TOKEN_VECS == 2)
            vec4 xb = x_tile[min(at((TOKEN_THREADS + tt), p), (((TOKEN_TILE / 4u) * (STEP_COLS + 1u)) - 1u))];
            l0b = vec4(wl.x) * xb + l0b;
            l1b = vec4(wl.y) * xb + l1b;
            l2b = vec4(wl.z) * xb + l2b;
            l3b = vec4(wl.w) * xb + l3b;
            h0b = vec4(wh.x) * xb + h0b;
            h1b = vec4(wh.y) * xb + h1b;
            h2b = vec4(wh.z) * xb + h2b;
            h3b = vec4(wh.w) * xb + h3b;
            #endif
        }
    }
    if (tile_live) {
        uint r = r0 + (4u * rt);
        uint rh = r + (4u * ROW_THREADS);
        uint ta = 4u * tt;
        emit4(expert, r, ta, count, l0a);
        emit4(expert, (r + 1u), ta, count, l1a);
        emit4(expert, (r + 2u), ta, count, l2a);
        emit4(expert, (r + 3u), ta, count, l3a);
        emit4(expert, rh, ta, count, h0a);
        emit4(expert, (rh + 1u), ta, count, h1a);
        emit4(expert, (rh + 2u), ta, count, h2a);
        emit4(expert, (rh + 3u), ta, count, h3a);
        #if (OVERRIDE_TOKEN_VECS == 2)
        uint tb = 4u * (TOKEN_THREADS + tt);
        emit4(expert, r, tb, count, l0b);
        emit4(expert, (r + 1u), tb, count, l1b);
        emit4(expert, (r + 2u), tb, count, l2b);
        emit4(expert, (r + 3u), tb, count, l3b);
        emit4(expert, rh, tb, count, h0b);
        emit4(expert, (rh + 1u), tb, count, h1b);
        emit4(expert, (rh + 2u), tb, count, h2b);
        emit4(expert, (rh + 3u), tb, count, h3b);
        #endif
    }
}

#if defined(CHAINED_LAUNCH)
layout(std430, binding = CHAINED_LAUNCH_BINDING) coherent restrict buffer chained_launch_done_block {
    uint chained_launch_done[];
};
layout(std140, binding = CHAINED_LAUNCH_UNIFORM) uniform chained_launch_step_block {
    uvec4 chained_launch_step;
};
void main() {
    if (gl_LocalInvocationIndex == 0u) {
        bool chained_launch_waiting = chained_launch_step.y != 0u;
        for (uint chained_launch_round = 0u; chained_launch_waiting && chained_launch_round < uint(CHAINED_LAUNCH_ROUNDS); chained_launch_round++) {
            for (uint chained_launch_spin = 0u; chained_launch_waiting && chained_launch_spin < 1024u; chained_launch_spin++) {
                chained_launch_waiting = atomicOr(chained_launch_done[chained_launch_step.x], 0u) < chained_launch_step.y;
            }
        }
        if (chained_launch_waiting) {
            atomicOr(chained_launch_done[0], 1u);
        }
        if (gl_WorkGroupID == uvec3(0u)) {
            atomicExchange(chained_launch_done[chained_launch_step.w], 0u);
        }
    }
    barrier();
    chained_launch_body();
    memoryBarrierBuffer();
    barrier();
    if (gl_LocalInvocationIndex == 0u) {
        atomicAdd(chained_launch_done[chained_launch_step.z], 1u);
    }
}
#endif
