#version 310 es
precision highp float;
precision highp int;

#if defined(CHAINED_LAUNCH)
#define CHAINED_COHERENT coherent
#else
#define CHAINED_COHERENT
#endif

#ifndef OVERRIDE_WEIGHT_FORMAT
#define OVERRIDE_WEIGHT_FORMAT 3
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
    uint rows;
    uint cols;
    uint weight_row_offset;
    uint row_base;
    uint n_tokens;
    uint x_stride;
    uint y_stride;
    uint accumulate;
    uint has_bias;
    uint scale_words_per_row;
    uint data_vec4_per_row;
    uint out_offset;
    uint x_offset;
    uint pad0;
    uint pad1;
    uint pad2;
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

struct XBase {
    uint t0;
    uint t1;
    uint t2;
    uint t3;
};

struct RawX {
    vec4 t0;
    vec4 t1;
    vec4 t2;
    vec4 t3;
};

// WGSL integer remainder: truncated (the sign follows the dividend), x % 0 == 0.
uint wgsl_rem(uint a, uint b) {
    uint d = ((b == 0u) ? 1u : b);
    return a - (a / d) * d;
}

// WGSL integer division: x / 0 == x, and i32's minimum / -1 == the minimum.
uint wgsl_div(uint a, uint b) {
    return a / ((b == 0u) ? 1u : b);
}

const uint FORMAT_F32 = 0u;
const uint FORMAT_Q8_0 = 3u;
const uint FORMAT_MXFP4 = 4u;
const uint FORMAT_F16 = 1u;

layout(std140, binding = 0) uniform params_block {
    uint rows;
    uint cols;
    uint weight_row_offset;
    uint row_base;
    uint n_tokens;
    uint x_stride;
    uint y_stride;
    uint accumulate;
    uint has_bias;
    uint scale_words_per_row;
    uint data_vec4_per_row;
    uint out_offset;
    uint x_offset;
    uint pad0;
    uint pad1;
    uint pad2;
} params;
layout(std430, binding = 1) CHAINED_COHERENT restrict readonly buffer scales_block {
    uint scales[];
};
layout(std430, binding = 2) CHAINED_COHERENT restrict readonly buffer data_block {
    uvec4 data[];
};
layout(std430, binding = 3) CHAINED_COHERENT restrict readonly buffer bias_block {
    float bias[];
};
layout(std430, binding = 4) CHAINED_COHERENT restrict readonly buffer x_block {
    vec4 x[];
};
layout(std430, binding = 5) CHAINED_COHERENT restrict buffer y_block {
    float y[];
};
shared vec4[((2u * ROW_THREADS) * (STEP_COLS + 1u))] w_tile;
shared vec4[((TOKEN_TILE / 4u) * (STEP_COLS + 1u))] x_tile;

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

uint unit_quad(uint u) {
    return ((u / 32u) * 8u) + (u % 8u);
}

uint unit_part(uint u) {
    return (u / 8u) % 4u;
}

RawQuad load_quad(uint u, uint b, uint r0) {
    uint q = unit_quad(u);
    uint k = unit_part(u);
    return load_rows4(params.weight_row_offset, (r0 + (4u * q)), b, k);
}

uint x_base(uint first, uint t) {
    uint token = min((first + t), (params.n_tokens - 1u));
    return (params.x_offset + (token * params.x_stride)) / 4u;
}

uint x_units_per_token_quad() {
    return STEP_COLS / 4u;
}

RawX load_x(uint u, uint s, XBase base) {
    uint c = (s * x_units_per_token_quad()) + wgsl_rem(u, x_units_per_token_quad());
    RawX raw = RawX(vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0));
    raw.t0 = x[min((base.t0 + c), (uint(x.length()) - 1u))];
    raw.t1 = x[min((base.t1 + c), (uint(x.length()) - 1u))];
    raw.t2 = x[min((base.t2 + c), (uint(x.length()) - 1u))];
    raw.t3 = x[min((base.t3 + c), (uint(x.length()) - 1u))];
    return raw;
}

void put(uint t, uint m, float v) {
    uint o = ((t * params.y_stride) + params.out_offset) + m;
    if (params.accumulate == 1u) {
        y[min(o, (uint(y.length()) - 1u))] = y[min(o, (uint(y.length()) - 1u))] + v;
    } else {
        y[min(o, (uint(y.length()) - 1u))] = v;
    }
}

void emit4(uint r, uint t, vec4 s) {
    if ((r >= params.rows) || (t >= params.n_tokens)) {
        return;
    }
    uint m = params.row_base + r;
    float b = 0.0;
    if (params.has_bias == 1u) {
        b = bias[min(m, (uint(bias.length()) - 1u))];
    }
    vec4 v = s + vec4(b);
    put(t, m, v.x);
    if ((t + 1u) < params.n_tokens) {
        put((t + 1u), m, v.y);
    }
    if ((t + 2u) < params.n_tokens) {
        put((t + 2u), m, v.z);
    }
    if ((t + 3u) < params.n_tokens) {
        put((t + 3u), m, v.w);
    }
}

uint at(uint row, uint p) {
    return (row * (STEP_COLS + 1u)) + p;
}

uint steps_per_block() {
    return wgsl_div(32u, STEP_COLS);
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

float e8m0_f16(uint e) {
    return uintBitsToFloat(((e >= 2u) ? (min((e + 14u), 254u) << 23u) : 0u));
}

vec4 q8x4(uint w) {
    uint b = w ^ 2155905152u;
    return vec4(uintBitsToFloat((1258291200u | (b & 255u))), uintBitsToFloat((1258291200u | ((b >> 8u) & 255u))), uintBitsToFloat((1258291200u | ((b >> 16u) & 255u))), uintBitsToFloat((1258291200u | (b >> 24u)))) - vec4(8388736.0);
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

#if defined(CHAINED_LAUNCH)
void chained_launch_body() {
#else
void main() {
#endif
    uint lid = gl_LocalInvocationIndex;
    uvec3 wid = gl_WorkGroupID;
    uint r0 = (wid.x * 8u) * ROW_THREADS;
    uint first = wid.y * TOKEN_TILE;
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
    uint steps = (params.cols / 32u) * steps_per_block();
    bool has_x = lid < (x_units_per_token_quad() * (TOKEN_TILE / 4u));
    XBase xb = XBase(0u, 0u, 0u, 0u);
    if (has_x) {
        uint v = wgsl_div(lid, x_units_per_token_quad());
        xb.t0 = x_base(first, (4u * v));
        xb.t1 = x_base(first, ((4u * v) + 1u));
        xb.t2 = x_base(first, ((4u * v) + 2u));
        xb.t3 = x_base(first, ((4u * v) + 3u));
    }
    RawQuad w0 = RawQuad(RawPart(uvec4(0u), uvec4(0u), 0u), RawPart(uvec4(0u), uvec4(0u), 0u), RawPart(uvec4(0u), uvec4(0u), 0u), RawPart(uvec4(0u), uvec4(0u), 0u));
    RawQuad w1 = RawQuad(RawPart(uvec4(0u), uvec4(0u), 0u), RawPart(uvec4(0u), uvec4(0u), 0u), RawPart(uvec4(0u), uvec4(0u), 0u), RawPart(uvec4(0u), uvec4(0u), 0u));
    RawQuad w2 = RawQuad(RawPart(uvec4(0u), uvec4(0u), 0u), RawPart(uvec4(0u), uvec4(0u), 0u), RawPart(uvec4(0u), uvec4(0u), 0u), RawPart(uvec4(0u), uvec4(0u), 0u));
    RawQuad w3 = RawQuad(RawPart(uvec4(0u), uvec4(0u), 0u), RawPart(uvec4(0u), uvec4(0u), 0u), RawPart(uvec4(0u), uvec4(0u), 0u), RawPart(uvec4(0u), uvec4(0u), 0u));
    RawX xs = RawX(vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0));
    if (steps > 0u) {
        w0 = load_quad(lid, 0u, r0);
        #if (OVERRIDE_W_PARTS > 1)
        w1 = load_quad((lid + WG_SIZE), 0u, r0);
        #endif
        #if (OVERRIDE_W_PARTS > 2)
        w2 = load_quad((lid + (2u * WG_SIZE)), 0u, r0);
        w3 = load_quad((lid + (3u * WG_SIZE)), 0u, r0);
        #endif
        if (has_x) {
            xs = load_x(lid, 0u, xb);
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
                w0 = load_quad(lid, b, r0);
                #if (OVERRIDE_W_PARTS > 1)
                w1 = load_quad((lid + WG_SIZE), b, r0);
                #endif
                #if (OVERRIDE_W_PARTS > 2)
                w2 = load_quad((lid + (2u * WG_SIZE)), b, r0);
                w3 = load_quad((lid + (3u * WG_SIZE)), b, r0);
                #endif
            }
            if (has_x) {
                xs = load_x(lid, (step_1 + 1u), xb);
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
            vec4 xv = x_tile[min(at((TOKEN_THREADS + tt), p), (((TOKEN_TILE / 4u) * (STEP_COLS + 1u)) - 1u))];
            l0b = vec4(wl.x) * xv + l0b;
            l1b = vec4(wl.y) * xv + l1b;
            l2b = vec4(wl.z) * xv + l2b;
            l3b = vec4(wl.w) * xv + l3b;
            h0b = vec4(wh.x) * xv + h0b;
            h1b = vec4(wh.y) * xv + h1b;
            h2b = vec4(wh.z) * xv + h2b;
            h3b = vec4(wh.w) * xv + h3b;
            #endif
        }
    }
    uint r = r0 + (4u * rt);
    uint rh = r + (4u * ROW_THREADS);
    uint ta = first + (4u * tt);
    emit4(r, ta, l0a);
    emit4((r + 1u), ta, l1a);
    emit4((r + 2u), ta, l2a);
    emit4((r + 3u), ta, l3a);
    emit4(rh, ta, h0a);
    emit4((rh + 1u), ta, h1a);
    emit4((rh + 2u), ta, h2a);
    emit4((rh + 3u), ta, h3a);
    #if (OVERRIDE_TOKEN_VECS == 2)
    uint tb = first + (4u * (TOKEN_THREADS + tt));
    emit4(r, tb, l0b);
    emit4((r + 1u), tb, l1b);
    emit4((r + 2u), tb, l2b);
    emit4((r + 3u), tb, l3b);
    emit4(rh, tb, h0b);
    emit4((rh + 1u), tb, h1b);
    emit4((rh + 2u), tb, h2b);
    emit4((rh + 3u), tb, h3b);
    #endif
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
