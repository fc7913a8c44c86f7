#version 310 es
precision highp float;
precision highp int;

#ifndef OVERRIDE_WEIGHT_FORMAT
#define OVERRIDE_WEIGHT_FORMAT 4
#endif
const uint WEIGHT_FORMAT = uint(OVERRIDE_WEIGHT_FORMAT);
#ifndef OVERRIDE_ROW_GROUPS
#define OVERRIDE_ROW_GROUPS 16
#endif
const uint ROW_GROUPS = uint(OVERRIDE_ROW_GROUPS);
#ifndef OVERRIDE_TOKEN_TILE
#define OVERRIDE_TOKEN_TILE 32
#endif
const uint TOKEN_TILE = uint(OVERRIDE_TOKEN_TILE);
#ifndef OVERRIDE_WG_SIZE
#define OVERRIDE_WG_SIZE 64
#endif
const uint WG_SIZE = uint(OVERRIDE_WG_SIZE);
#ifndef OVERRIDE_TOKEN_GROUPS
#define OVERRIDE_TOKEN_GROUPS (TOKEN_TILE / 8u)
#endif
const uint TOKEN_GROUPS = uint(OVERRIDE_TOKEN_GROUPS);
#ifndef OVERRIDE_ROWS_PER_THREAD
#define OVERRIDE_ROWS_PER_THREAD 2
#endif
const uint ROWS_PER_THREAD = uint(OVERRIDE_ROWS_PER_THREAD);
#ifndef OVERRIDE_X_PER_THREAD
#define OVERRIDE_X_PER_THREAD 2
#endif
const uint X_PER_THREAD = uint(OVERRIDE_X_PER_THREAD);

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

struct RawHalf {
    uvec4 d0;
    uvec4 d1;
    uvec4 d2;
    uvec4 d3;
    uint s;
};

struct Staged {
    RawHalf[8] w;
    vec4[4] x;
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
const uint FORMAT_BF16 = 2u;
const uint FORMAT_Q8_0 = 3u;
const uint FORMAT_MXFP4 = 4u;

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
layout(std430, binding = 1) restrict readonly buffer scales_block {
    uint scales[];
};
layout(std430, binding = 2) restrict readonly buffer data_block {
    uvec4 data[];
};
layout(std430, binding = 3) restrict readonly buffer bias_block {
    float bias[];
};
layout(std430, binding = 4) restrict readonly buffer x_block {
    float x[];
};
layout(std430, binding = 5) restrict readonly buffer sorted_block {
    uint sorted[];
};
layout(std430, binding = 6) restrict readonly buffer tiles_block {
    uvec4 tiles[];
};
layout(std430, binding = 7) restrict readonly buffer weights_block {
    float weights[];
};
layout(std430, binding = 8) restrict buffer slot_out_block {
    float slot_out[];
};
shared vec4[(2u * ROW_GROUPS)][17] w_tile;
shared vec4[(TOKEN_TILE / 4u)][17] x_tile;
shared uint[TOKEN_TILE] tile_slot;
shared uint[TOKEN_TILE] tile_x_base;
shared float[16] fp4_values;

float e2m1x2(uint code) {
    uint m = code & 7u;
    float v = float(m);
    if (m >= 4u) {
        v = float(((2u + (m & 1u)) << (((m >> 1u) - 1u) & 31u)));
    }
    return ((code & 8u) != 0u) ? (-v) : v;
}

float e8m0_half(uint e) {
    return uintBitsToFloat(((e >= 2u) ? ((e - 1u) << 23u) : 0u));
}

vec4 fp4x4(uint w, float s) {
    return vec4(fp4_values[min((w & 15u), 15u)], fp4_values[min(((w >> 8u) & 15u), 15u)], fp4_values[min(((w >> 16u) & 15u), 15u)], fp4_values[min(((w >> 24u) & 15u), 15u)]) * s;
}

vec4 q8x4(uint w) {
    uint b = w ^ 2155905152u;
    return vec4(uintBitsToFloat((1258291200u | (b & 255u))), uintBitsToFloat((1258291200u | ((b >> 8u) & 255u))), uintBitsToFloat((1258291200u | ((b >> 16u) & 255u))), uintBitsToFloat((1258291200u | (b >> 24u)))) - vec4(8388736.0);
}

vec2 bf16x2(uint w) {
    return vec2(uintBitsToFloat((w << 16u)), uintBitsToFloat((w & 4294901760u)));
}

vec4 half4(uint w0, uint w1) {
    return vec4(unpackHalf2x16(w0), unpackHalf2x16(w1));
}

vec4 bf4(uint w0, uint w1) {
    return vec4(bf16x2(w0), bf16x2(w1));
}

void put4(uint k0, uint j, vec4 v) {
    uint q = j / 4u;
    uint c = j % 4u;
    w_tile[min(q, ((2u * ROW_GROUPS) - 1u))][min(k0, 16u)][min(c, 3u)] = v.x;
    w_tile[min(q, ((2u * ROW_GROUPS) - 1u))][min((k0 + 1u), 16u)][min(c, 3u)] = v.y;
    w_tile[min(q, ((2u * ROW_GROUPS) - 1u))][min((k0 + 2u), 16u)][min(c, 3u)] = v.z;
    w_tile[min(q, ((2u * ROW_GROUPS) - 1u))][min((k0 + 3u), 16u)][min(c, 3u)] = v.w;
}

RawHalf load_raw(uint row, uint b, uint half_1) {
    RawHalf raw = RawHalf(uvec4(0u), uvec4(0u), uvec4(0u), uvec4(0u), 0u);
    if (WEIGHT_FORMAT == FORMAT_MXFP4) {
        raw.d0 = data[min(((row * params.data_vec4_per_row) + b), (uint(data.length()) - 1u))];
        raw.s = (scales[min(((row * params.scale_words_per_row) + (b / 4u)), (uint(scales.length()) - 1u))] >> (((b & 3u) * 8u) & 31u)) & 255u;
    } else if (WEIGHT_FORMAT == FORMAT_Q8_0) {
        raw.d0 = data[min((((row * params.data_vec4_per_row) + (b * 2u)) + half_1), (uint(data.length()) - 1u))];
        raw.s = (scales[min(((row * params.scale_words_per_row) + (b / 2u)), (uint(scales.length()) - 1u))] >> (((b & 1u) * 16u) & 31u)) & 65535u;
    } else if (WEIGHT_FORMAT == FORMAT_F32) {
        uint base = ((row * params.data_vec4_per_row) + (b * 8u)) + (half_1 * 4u);
        raw.d0 = data[min(base, (uint(data.length()) - 1u))];
        raw.d1 = data[min((base + 1u), (uint(data.length()) - 1u))];
        raw.d2 = data[min((base + 2u), (uint(data.length()) - 1u))];
        raw.d3 = data[min((base + 3u), (uint(data.length()) - 1u))];
    } else {
        uint base_1 = ((row * params.data_vec4_per_row) + (b * 4u)) + (half_1 * 2u);
        raw.d0 = data[min(base_1, (uint(data.length()) - 1u))];
        raw.d1 = data[min((base_1 + 1u), (uint(data.length()) - 1u))];
    }
    return raw;
}

void store_raw(uint j, RawHalf raw, uint half_1) {
    if (WEIGHT_FORMAT == FORMAT_MXFP4) {
        float s = e8m0_half(raw.s);
        uvec4 w = raw.d0 >> (uvec4((half_1 * 4u)) & uvec4(31u));
        put4(0u, j, fp4x4(w.x, s));
        put4(4u, j, fp4x4(w.y, s));
        put4(8u, j, fp4x4(w.z, s));
        put4(12u, j, fp4x4(w.w, s));
    } else if (WEIGHT_FORMAT == FORMAT_Q8_0) {
        float d = unpackHalf2x16(raw.s).x;
        put4(0u, j, (q8x4(raw.d0.x) * d));
        put4(4u, j, (q8x4(raw.d0.y) * d));
        put4(8u, j, (q8x4(raw.d0.z) * d));
        put4(12u, j, (q8x4(raw.d0.w) * d));
    } else if (WEIGHT_FORMAT == FORMAT_F32) {
        put4(0u, j, uintBitsToFloat(raw.d0));
        put4(4u, j, uintBitsToFloat(raw.d1));
        put4(8u, j, uintBitsToFloat(raw.d2));
        put4(12u, j, uintBitsToFloat(raw.d3));
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

Staged fetch(uint step_1, uint lid, uint r0, uint local_expert) {
    Staged st = Staged(RawHalf[8](RawHalf(uvec4(0u), uvec4(0u), uvec4(0u), uvec4(0u), 0u), RawHalf(uvec4(0u), uvec4(0u), uvec4(0u), uvec4(0u), 0u), RawHalf(uvec4(0u), uvec4(0u), uvec4(0u), uvec4(0u), 0u), RawHalf(uvec4(0u), uvec4(0u), uvec4(0u), uvec4(0u), 0u), RawHalf(uvec4(0u), uvec4(0u), uvec4(0u), uvec4(0u), 0u), RawHalf(uvec4(0u), uvec4(0u), uvec4(0u), uvec4(0u), 0u), RawHalf(uvec4(0u), uvec4(0u), uvec4(0u), uvec4(0u), 0u), RawHalf(uvec4(0u), uvec4(0u), uvec4(0u), uvec4(0u), 0u)), vec4[4](vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0)));
    uint b = step_1 / 2u;
    uint half_1 = step_1 % 2u;
    for (uint q = 0u; q < ROWS_PER_THREAD; q++) {
        uint j = lid + (q * WG_SIZE);
        uint r = r0 + j;
        if (r < params.rows) {
            st.w[min(q, 7u)] = load_raw(((local_expert * params.rows) + r), b, half_1);
        }
    }
    for (uint p = 0u; p < X_PER_THREAD; p++) {
        uint i = lid + (p * WG_SIZE);
        if (i < (4u * TOKEN_TILE)) {
            uint q_1 = i / 16u;
            uint c = (step_1 * 16u) + (i % 16u);
            st.x[min(p, 3u)] = vec4(x[min((tile_x_base[min((4u * q_1), (TOKEN_TILE - 1u))] + c), (uint(x.length()) - 1u))], x[min((tile_x_base[min(((4u * q_1) + 1u), (TOKEN_TILE - 1u))] + c), (uint(x.length()) - 1u))], x[min((tile_x_base[min(((4u * q_1) + 2u), (TOKEN_TILE - 1u))] + c), (uint(x.length()) - 1u))], x[min((tile_x_base[min(((4u * q_1) + 3u), (TOKEN_TILE - 1u))] + c), (uint(x.length()) - 1u))]);
        }
    }
    return st;
}

void stage(Staged st, uint step_1, uint lid) {
    for (uint q = 0u; q < ROWS_PER_THREAD; q++) {
        store_raw((lid + (q * WG_SIZE)), st.w[min(q, 7u)], (step_1 % 2u));
    }
    for (uint p = 0u; p < X_PER_THREAD; p++) {
        uint i = lid + (p * WG_SIZE);
        if (i < (4u * TOKEN_TILE)) {
            x_tile[min((i / 16u), ((TOKEN_TILE / 4u) - 1u))][min((i % 16u), 16u)] = st.x[min(p, 3u)];
        }
    }
}

void emit4(uint expert, uint r, uint t, uint count, vec4 y) {
    if (r >= params.rows) {
        return;
    }
    float b = 0.0;
    if (params.has_bias == 1u) {
        b = bias[min(((expert * params.rows) + r), (uint(bias.length()) - 1u))];
    }
    vec4 v = y + vec4(b);
    if (t < count) {
        uint slot = tile_slot[min(t, (TOKEN_TILE - 1u))];
        slot_out[min(((slot * params.rows) + r), (uint(slot_out.length()) - 1u))] = weights[min(slot, (uint(weights.length()) - 1u))] * v.x;
    }
    if ((t + 1u) < count) {
        uint slot_1 = tile_slot[min((t + 1u), (TOKEN_TILE - 1u))];
        slot_out[min(((slot_1 * params.rows) + r), (uint(slot_out.length()) - 1u))] = weights[min(slot_1, (uint(weights.length()) - 1u))] * v.y;
    }
    if ((t + 2u) < count) {
        uint slot_2 = tile_slot[min((t + 2u), (TOKEN_TILE - 1u))];
        slot_out[min(((slot_2 * params.rows) + r), (uint(slot_out.length()) - 1u))] = weights[min(slot_2, (uint(weights.length()) - 1u))] * v.z;
    }
    if ((t + 3u) < count) {
        uint slot_3 = tile_slot[min((t + 3u), (TOKEN_TILE - 1u))];
        slot_out[min(((slot_3 * params.rows) + r), (uint(slot_out.length()) - 1u))] = weights[min(slot_3, (uint(weights.length()) - 1u))] * v.w;
    }
}

void main() {
    uint lid = gl_LocalInvocationIndex;
    uvec3 wid = gl_WorkGroupID;
    uint half_rows = 4u * ROW_GROUPS;
    uint r0 = (wid.x * 8u) * ROW_GROUPS;
    uvec4 info = tiles[min((1u + wid.y), (uint(tiles.length()) - 1u))];
    uint expert = info.x;
    uint first = info.y;
    uint count = info.z;
    bool tile_live = ((wid.y < tiles[0u].x) && (expert >= params.expert_begin)) && (expert < params.expert_end);
    uint local_expert = expert - params.expert_begin;
    if (lid < 16u) {
        fp4_values[min(lid, 15u)] = e2m1x2(lid);
    }
    for (uint t = lid; t < TOKEN_TILE; t += WG_SIZE) {
        uint slot = 0u;
        if (tile_live) {
            slot = sorted[min((first + min(t, (count - 1u))), (uint(sorted.length()) - 1u))];
        }
        tile_slot[t] = slot;
        tile_x_base[t] = slot * params.x_stride;
    }
    uint rg = wgsl_div(lid, TOKEN_GROUPS);
    uint tg = wgsl_rem(lid, TOKEN_GROUPS);
    vec4[16] acc = vec4[16](vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0));
    memoryBarrierShared();
    barrier();
    uint steps = tile_live ? (params.cols / 16u) : 0u;
    Staged next = Staged(RawHalf[8](RawHalf(uvec4(0u), uvec4(0u), uvec4(0u), uvec4(0u), 0u), RawHalf(uvec4(0u), uvec4(0u), uvec4(0u), uvec4(0u), 0u), RawHalf(uvec4(0u), uvec4(0u), uvec4(0u), uvec4(0u), 0u), RawHalf(uvec4(0u), uvec4(0u), uvec4(0u), uvec4(0u), 0u), RawHalf(uvec4(0u), uvec4(0u), uvec4(0u), uvec4(0u), 0u), RawHalf(uvec4(0u), uvec4(0u), uvec4(0u), uvec4(0u), 0u), RawHalf(uvec4(0u), uvec4(0u), uvec4(0u), uvec4(0u), 0u), RawHalf(uvec4(0u), uvec4(0u), uvec4(0u), uvec4(0u), 0u)), vec4[4](vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0)));
    if (tile_live) {
        next = fetch(0u, lid, r0, local_expert);
    }
    for (uint step_1 = 0u; step_1 < steps; step_1++) {
        memoryBarrierShared();
        barrier();
        stage(next, step_1, lid);
        memoryBarrierShared();
        barrier();
        if ((step_1 + 1u) < steps) {
            next = fetch((step_1 + 1u), lid, r0, local_expert);
        }
        for (uint kk = 0u; kk < 16u; kk++) {
            vec4 wl = w_tile[min(rg, ((2u * ROW_GROUPS) - 1u))][kk];
            vec4 wh = w_tile[min((rg + ROW_GROUPS), ((2u * ROW_GROUPS) - 1u))][kk];
            vec4 xl = x_tile[min(tg, ((TOKEN_TILE / 4u) - 1u))][kk];
            vec4 xh = x_tile[min((tg + TOKEN_GROUPS), ((TOKEN_TILE / 4u) - 1u))][kk];
            acc[0u] = vec4(wl.x) * xl + acc[0u];
            acc[1u] = vec4(wl.x) * xh + acc[1u];
            acc[2u] = vec4(wl.y) * xl + acc[2u];
            acc[3u] = vec4(wl.y) * xh + acc[3u];
            acc[4u] = vec4(wl.z) * xl + acc[4u];
            acc[5u] = vec4(wl.z) * xh + acc[5u];
            acc[6u] = vec4(wl.w) * xl + acc[6u];
            acc[7u] = vec4(wl.w) * xh + acc[7u];
            acc[8u] = vec4(wh.x) * xl + acc[8u];
            acc[9u] = vec4(wh.x) * xh + acc[9u];
            acc[10u] = vec4(wh.y) * xl + acc[10u];
            acc[11u] = vec4(wh.y) * xh + acc[11u];
            acc[12u] = vec4(wh.z) * xl + acc[12u];
            acc[13u] = vec4(wh.z) * xh + acc[13u];
            acc[14u] = vec4(wh.w) * xl + acc[14u];
            acc[15u] = vec4(wh.w) * xh + acc[15u];
        }
    }
    if (tile_live) {
        uint r = r0 + (4u * rg);
        uint rh = r + half_rows;
        uint tl = 4u * tg;
        uint th = (TOKEN_TILE / 2u) + (4u * tg);
        emit4(expert, r, tl, count, acc[0u]);
        emit4(expert, r, th, count, acc[1u]);
        emit4(expert, (r + 1u), tl, count, acc[2u]);
        emit4(expert, (r + 1u), th, count, acc[3u]);
        emit4(expert, (r + 2u), tl, count, acc[4u]);
        emit4(expert, (r + 2u), th, count, acc[5u]);
        emit4(expert, (r + 3u), tl, count, acc[6u]);
        emit4(expert, (r + 3u), th, count, acc[7u]);
        emit4(expert, rh, tl, count, acc[8u]);
        emit4(expert, rh, th, count, acc[9u]);
        emit4(expert, (rh + 1u), tl, count, acc[10u]);
        emit4(expert, (rh + 1u), th, count, acc[11u]);
        emit4(expert, (rh + 2u), tl, count, acc[12u]);
        emit4(expert, (rh + 2u), th, count, acc[13u]);
        emit4(expert, (rh + 3u), tl, count, acc[14u]);
        emit4(expert, (rh + 3u), th, count, acc[15u]);
    }
}
