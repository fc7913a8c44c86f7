#version 310 es
#extension GL_KHR_shader_subgroup_arithmetic : enable
#extension GL_KHR_shader_subgroup_basic : enable
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
#ifndef OVERRIDE_WG_SIZE
#define OVERRIDE_WG_SIZE 64
#endif
const uint WG_SIZE = uint(OVERRIDE_WG_SIZE);
#ifndef OVERRIDE_THREADS_PER_ROW
#define OVERRIDE_THREADS_PER_ROW 16
#endif
const uint THREADS_PER_ROW = uint(OVERRIDE_THREADS_PER_ROW);
#ifndef OVERRIDE_TOKEN_TILE
#define OVERRIDE_TOKEN_TILE 1
#endif
const uint TOKEN_TILE = uint(OVERRIDE_TOKEN_TILE);
#ifndef OVERRIDE_NORMALIZE
#define OVERRIDE_NORMALIZE 0
#endif
const uint NORMALIZE = uint(OVERRIDE_NORMALIZE);
#ifndef OVERRIDE_ROPE
#define OVERRIDE_ROPE 0
#endif
const uint ROPE = uint(OVERRIDE_ROPE);
#ifndef OVERRIDE_SUBGROUPS
#define OVERRIDE_SUBGROUPS 0
#endif
const uint SUBGROUPS = uint(OVERRIDE_SUBGROUPS);

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
    float eps;
    uint pad1;
    uint pad2;
    uint position;
    uint head_dim;
    uint q_heads;
    uint kv_heads;
    uint capacity;
    uint kv_row_floats;
    float concentration;
    uint pad3;
};

struct UnitInputs {
    uint scale;
    vec4 xa;
    vec4 xb;
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

const uint MAX_TOKEN_TILE = 16u;
const uint FORMAT_MXFP4 = 4u;
const uint FORMAT_F32 = 0u;
const uint FORMAT_Q8_0 = 3u;
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
    float eps;
    uint pad1;
    uint pad2;
    uint position;
    uint head_dim;
    uint q_heads;
    uint kv_heads;
    uint capacity;
    uint kv_row_floats;
    float concentration;
    uint pad3;
} params;
layout(std430, binding = 1) CHAINED_COHERENT restrict readonly buffer scales_block {
    uint scales[];
};
layout(std430, binding = 2) CHAINED_COHERENT restrict readonly buffer data_block {
    uint data[];
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
layout(std430, binding = 6) CHAINED_COHERENT restrict readonly buffer norm_block {
    vec4 norm[];
};
layout(std430, binding = 7) CHAINED_COHERENT restrict readonly buffer inv_freq_block {
    float inv_freq[];
};
layout(std430, binding = 8) CHAINED_COHERENT restrict buffer k_cache_block {
    float k_cache[];
};
layout(std430, binding = 9) CHAINED_COHERENT restrict buffer v_cache_block {
    float v_cache[];
};
shared float[(WG_SIZE * (TOKEN_TILE + 1u))] partial_sums;
shared float[(((WG_SIZE - 1u) * NORMALIZE) + 1u)] partial_squares;

vec4 xin(uint xv, uint j) {
    #if (OVERRIDE_NORMALIZE == 1)
    return x[min((xv + j), (uint(x.length()) - 1u))] * norm[min(j, (uint(norm.length()) - 1u))];
    #endif
    return x[min((xv + j), (uint(x.length()) - 1u))];
}

uint unit_x(uint u) {
    #if (OVERRIDE_WEIGHT_FORMAT == 4)
    return ((u / 4u) * 8u) + (u & 3u);
    #endif
    return u;
}

float unit_squares(uint u, uint xv) {
    vec4 a = x[min((xv + unit_x(u)), (uint(x.length()) - 1u))];
    #if (OVERRIDE_WEIGHT_FORMAT == 4)
    vec4 b = x[min(((xv + unit_x(u)) + 4u), (uint(x.length()) - 1u))];
    return dot(a, a) + dot(b, b);
    #endif
    return dot(a, a);
}

uint units_per_row() {
    #if (OVERRIDE_WEIGHT_FORMAT == 4)
    return params.cols / 8u;
    #endif
    return params.cols / 4u;
}

uvec4 unit_load(uint words, uint u) {
    #if ((OVERRIDE_WEIGHT_FORMAT == 3) || (OVERRIDE_WEIGHT_FORMAT == 4))
    return uvec4(data[min((words + u), (uint(data.length()) - 1u))], 0u, 0u, 0u);
    #elif (OVERRIDE_WEIGHT_FORMAT == 0)
    uint i = words + (4u * u);
    return uvec4(data[min(i, (uint(data.length()) - 1u))], data[min((i + 1u), (uint(data.length()) - 1u))], data[min((i + 2u), (uint(data.length()) - 1u))], data[min((i + 3u), (uint(data.length()) - 1u))]);
    #endif
    uint i_1 = words + (2u * u);
    return uvec4(data[min(i_1, (uint(data.length()) - 1u))], data[min((i_1 + 1u), (uint(data.length()) - 1u))], 0u, 0u);
}

UnitInputs unit_inputs(uint row, uint u, uint xv) {
    UnitInputs i = UnitInputs(0u, vec4(0.0), vec4(0.0));
    #if (OVERRIDE_WEIGHT_FORMAT == 3)
    i.scale = scales[min(((row * params.scale_words_per_row) + (u / 16u)), (uint(scales.length()) - 1u))];
    i.xa = xin(xv, u);
    #elif (OVERRIDE_WEIGHT_FORMAT == 4)
    i.scale = scales[min(((row * params.scale_words_per_row) + (u / 16u)), (uint(scales.length()) - 1u))];
    uint j = unit_x(u);
    i.xa = xin(xv, j);
    i.xb = xin(xv, (j + 4u));
    #else
    i.xa = xin(xv, u);
    #endif
    return i;
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

vec4 q8x4(uint w) {
    return vec4(float((int((w << 24u)) >> 24u)), float((int((w << 16u)) >> 24u)), float((int((w << 8u)) >> 24u)), float((int(w) >> 24u)));
}

float e8m0_f16(uint e) {
    return uintBitsToFloat((min((e + 14u), 254u) << 23u));
}

float unit_dot_with(uint u, uvec4 w, UnitInputs i) {
    #if (OVERRIDE_WEIGHT_FORMAT == 3)
    vec2 pair = unpackHalf2x16(i.scale);
    float d = (((u / 8u) & 1u) == 1u) ? pair.y : pair.x;
    return d * dot(q8x4(w.x), i.xa);
    #elif (OVERRIDE_WEIGHT_FORMAT == 4)
    uint e = (i.scale >> ((((u / 4u) & 3u) * 8u) & 31u)) & 255u;
    return e8m0_f16(e) * (dot(fp4x4(w.x, 0u), i.xa) + dot(fp4x4(w.x, 4u), i.xb));
    #elif (OVERRIDE_WEIGHT_FORMAT == 0)
    return dot(uintBitsToFloat(w), i.xa);
    #elif (OVERRIDE_WEIGHT_FORMAT == 1)
    return dot(vec4(unpackHalf2x16(w.x), unpackHalf2x16(w.y)), i.xa);
    #endif
    return dot(vec4(bf16x2(w.x), bf16x2(w.y)), i.xa);
}

vec3 pair_dot(uint row_a, uint row_b, uint lane, uint xv) {
    uint units = units_per_row();
    uint last = units - 1u;
    uint words_a = (row_a * params.data_vec4_per_row) * 4u;
    uint words_b = (row_b * params.data_vec4_per_row) * 4u;
    vec2 s = vec2(0.0);
    float squares = 0.0;
    for (uint u0 = lane; u0 < units; u0 += 4u * THREADS_PER_ROW) {
        uint u1 = min((u0 + THREADS_PER_ROW), last);
        uint u2 = min((u0 + (2u * THREADS_PER_ROW)), last);
        uint u3 = min((u0 + (3u * THREADS_PER_ROW)), last);
        uvec4 a0 = unit_load(words_a, u0);
        uvec4 b0 = unit_load(words_b, u0);
        uvec4 a1 = unit_load(words_a, u1);
        uvec4 b1 = unit_load(words_b, u1);
        uvec4 a2 = unit_load(words_a, u2);
        uvec4 b2 = unit_load(words_b, u2);
        uvec4 a3 = unit_load(words_a, u3);
        uvec4 b3 = unit_load(words_b, u3);
        UnitInputs ia0 = unit_inputs(row_a, u0, xv);
        UnitInputs ib0 = unit_inputs(row_b, u0, xv);
        UnitInputs ia1 = unit_inputs(row_a, u1, xv);
        UnitInputs ib1 = unit_inputs(row_b, u1, xv);
        UnitInputs ia2 = unit_inputs(row_a, u2, xv);
        UnitInputs ib2 = unit_inputs(row_b, u2, xv);
        UnitInputs ia3 = unit_inputs(row_a, u3, xv);
        UnitInputs ib3 = unit_inputs(row_b, u3, xv);
        bool has1 = (u0 + THREADS_PER_ROW) < units;
        bool has2 = (u0 + (2u * THREADS_PER_ROW)) < units;
        bool has3 = (u0 + (3u * THREADS_PER_ROW)) < units;
        s += vec2(unit_dot_with(u0, a0, ia0), unit_dot_with(u0, b0, ib0));
        s += has1 ? vec2(unit_dot_with(u1, a1, ia1), unit_dot_with(u1, b1, ib1)) : vec2(0.0);
        s += has2 ? vec2(unit_dot_with(u2, a2, ia2), unit_dot_with(u2, b2, ib2)) : vec2(0.0);
        s += has3 ? vec2(unit_dot_with(u3, a3, ia3), unit_dot_with(u3, b3, ib3)) : vec2(0.0);
        #if (OVERRIDE_NORMALIZE == 1)
        squares += ((unit_squares(u0, xv) + (has1 ? unit_squares(u1, xv) : 0.0)) + (has2 ? unit_squares(u2, xv) : 0.0)) + (has3 ? unit_squares(u3, xv) : 0.0);
        #endif
    }
    return vec3(s, squares);
}

uvec3 decode_rows(uint group) {
    #if (OVERRIDE_ROPE == 1)
    uint half_1 = params.head_dim / 2u;
    uint first = (wgsl_div(group, half_1) * params.head_dim) + wgsl_rem(group, half_1);
    return uvec3(first, (first + half_1), 1u);
    #endif
    uint first_1 = 2u * group;
    return uvec3(first_1, min((first_1 + 1u), (params.rows - 1u)), (((first_1 + 1u) < params.rows) ? 1u : 0u));
}

void write_rotated(uint group, uvec3 rows, vec2 v) {
    uint half_1 = params.head_dim / 2u;
    uint head = wgsl_div(group, half_1);
    uint j = wgsl_rem(group, half_1);
    vec2 r = v;
    if (head < (params.q_heads + params.kv_heads)) {
        float angle = float(params.position) * inv_freq[min(j, (uint(inv_freq.length()) - 1u))];
        float c = cos(angle) * params.concentration;
        float s = sin(angle) * params.concentration;
        r = vec2(((v.x * c) - (v.y * s)), ((v.y * c) + (v.x * s)));
    }
    y[min((params.out_offset + rows.x), (uint(y.length()) - 1u))] = r.x;
    y[min((params.out_offset + rows.y), (uint(y.length()) - 1u))] = r.y;
    if (head >= params.q_heads) {
        uint kv_head = wgsl_rem((head - params.q_heads), params.kv_heads);
        uint dst = ((wgsl_rem(params.position, params.capacity) * params.kv_row_floats) + (kv_head * params.head_dim)) + j;
        if (head < (params.q_heads + params.kv_heads)) {
            k_cache[min(dst, (uint(k_cache.length()) - 1u))] = r.x;
            k_cache[min((dst + half_1), (uint(k_cache.length()) - 1u))] = r.y;
        } else {
            v_cache[min(dst, (uint(v_cache.length()) - 1u))] = r.x;
            v_cache[min((dst + half_1), (uint(v_cache.length()) - 1u))] = r.y;
        }
    }
}

void decode_step(uint lidx, uint wg) {
    uint lane = wgsl_rem(lidx, THREADS_PER_ROW);
    uint group = (wg * wgsl_div(WG_SIZE, THREADS_PER_ROW)) + wgsl_div(lidx, THREADS_PER_ROW);
    uint pairs = (params.rows + 1u) / 2u;
    bool valid = group < pairs;
    uvec3 rows = decode_rows(min(group, (pairs - 1u)));
    vec3 sums = vec3(0.0);
    if (valid) {
        sums = pair_dot((params.weight_row_offset + rows.x), (params.weight_row_offset + rows.y), lane, (params.x_offset / 4u));
    }
    vec3 total = vec3(0.0);
    #if (OVERRIDE_SUBGROUPS == 1)
    vec2 pair = subgroupAdd(sums.xy);
    total = vec3(pair.x, pair.y, 0.0);
    #if (OVERRIDE_NORMALIZE == 1)
    total.z = subgroupAdd(sums.z);
    #endif
    #else
    partial_sums[min(lidx, ((WG_SIZE * (TOKEN_TILE + 1u)) - 1u))] = sums.x;
    partial_sums[min((WG_SIZE + lidx), ((WG_SIZE * (TOKEN_TILE + 1u)) - 1u))] = sums.y;
    #if (OVERRIDE_NORMALIZE == 1)
    partial_squares[min(lidx, ((((WG_SIZE - 1u) * NORMALIZE) + 1u) - 1u))] = sums.z;
    #endif
    memoryBarrierShared();
    barrier();
    for (uint stride = THREADS_PER_ROW / 2u; stride > 0u; stride = stride / 2u) {
        if (lane < stride) {
            partial_sums[min(lidx, ((WG_SIZE * (TOKEN_TILE + 1u)) - 1u))] = partial_sums[min(lidx, ((WG_SIZE * (TOKEN_TILE + 1u)) - 1u))] + partial_sums[min((lidx + stride), ((WG_SIZE * (TOKEN_TILE + 1u)) - 1u))];
            partial_sums[min((WG_SIZE + lidx), ((WG_SIZE * (TOKEN_TILE + 1u)) - 1u))] = partial_sums[min((WG_SIZE + lidx), ((WG_SIZE * (TOKEN_TILE + 1u)) - 1u))] + partial_sums[min(((WG_SIZE + lidx) + stride), ((WG_SIZE * (TOKEN_TILE + 1u)) - 1u))];
            #if (OVERRIDE_NORMALIZE == 1)
            partial_squares[min(lidx, ((((WG_SIZE - 1u) * NORMALIZE) + 1u) - 1u))] = partial_squares[min(lidx, ((((WG_SIZE - 1u) * NORMALIZE) + 1u) - 1u))] + partial_squares[min((lidx + stride), ((((WG_SIZE - 1u) * NORMALIZE) + 1u) - 1u))];
            #endif
        }
        memoryBarrierShared();
        barrier();
    }
    total = vec3(partial_sums[min(lidx, ((WG_SIZE * (TOKEN_TILE + 1u)) - 1u))], partial_sums[min((WG_SIZE + lidx), ((WG_SIZE * (TOKEN_TILE + 1u)) - 1u))], 0.0);
    #if (OVERRIDE_NORMALIZE == 1)
    total.z = partial_squares[min(lidx, ((((WG_SIZE - 1u) * NORMALIZE) + 1u) - 1u))];
    #endif
    #endif
    if ((lane == 0u) && valid) {
        vec2 v = total.xy;
        #if (OVERRIDE_NORMALIZE == 1)
        v *= inversesqrt(((total.z / float(params.cols)) + params.eps));
        #endif
        uvec2 out_rows = uvec2((params.row_base + rows.x), (params.row_base + rows.y));
        if (params.has_bias == 1u) {
            v += vec2(bias[min(out_rows.x, (uint(bias.length()) - 1u))], bias[min(out_rows.y, (uint(bias.length()) - 1u))]);
        }
        #if (OVERRIDE_ROPE == 1)
        write_rotated(group, rows, v);
        return;
        #endif
        uvec2 o = uvec2(params.out_offset) + out_rows;
        if (params.accumulate == 1u) {
            v += vec2(y[min(o.x, (uint(y.length()) - 1u))], y[min(o.y, (uint(y.length()) - 1u))]);
        }
        y[min(o.x, (uint(y.length()) - 1u))] = v.x;
        if (rows.z == 1u) {
            y[min(o.y, (uint(y.length()) - 1u))] = v.y;
        }
    }
}

vec4 unit_weights(uint row, uint u) {
    uvec4 w = unit_load(((row * params.data_vec4_per_row) * 4u), u);
    #if (OVERRIDE_WEIGHT_FORMAT == 3)
    uint b = u / 8u;
    vec2 pair = unpackHalf2x16(scales[min(((row * params.scale_words_per_row) + (b / 2u)), (uint(scales.length()) - 1u))]);
    return (((b & 1u) == 1u) ? pair.y : pair.x) * q8x4(w.x);
    #elif (OVERRIDE_WEIGHT_FORMAT == 4)
    uint b_1 = u / 4u;
    uint e = (scales[min(((row * params.scale_words_per_row) + (b_1 / 4u)), (uint(scales.length()) - 1u))] >> (((b_1 & 3u) * 8u) & 31u)) & 255u;
    return e8m0_f16(e) * fp4x4(w.x, 0u);
    #elif (OVERRIDE_WEIGHT_FORMAT == 0)
    return uintBitsToFloat(w);
    #elif (OVERRIDE_WEIGHT_FORMAT == 1)
    return vec4(unpackHalf2x16(w.x), unpackHalf2x16(w.y));
    #endif
    return vec4(bf16x2(w.x), bf16x2(w.y));
}

vec4 unit_weights_hi(uint row, uint u) {
    #if (OVERRIDE_WEIGHT_FORMAT == 4)
    uint b = u / 4u;
    uint e = (scales[min(((row * params.scale_words_per_row) + (b / 4u)), (uint(scales.length()) - 1u))] >> (((b & 3u) * 8u) & 31u)) & 255u;
    return e8m0_f16(e) * fp4x4(data[min((((row * params.data_vec4_per_row) * 4u) + u), (uint(data.length()) - 1u))], 4u);
    #endif
    return vec4(0.0);
}

void prefill_step(uint lidx, uvec3 wid) {
    uint rows_per_group = wgsl_div(WG_SIZE, THREADS_PER_ROW);
    uint lane = wgsl_rem(lidx, THREADS_PER_ROW);
    uint row = (wid.x * rows_per_group) + wgsl_div(lidx, THREADS_PER_ROW);
    uint t0 = wid.y * TOKEN_TILE;
    uint x_vec4_stride = params.x_stride / 4u;
    uint x_vec4_offset = params.x_offset / 4u;
    float[16] acc = float[16](0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for (uint tt = 0u; tt < TOKEN_TILE; tt++) {
        acc[min(tt, 15u)] = 0.0;
    }
    if (row < params.rows) {
        uint wrow = params.weight_row_offset + row;
        {
            uint units = units_per_row();
            for (uint u = lane; u < units; u += THREADS_PER_ROW) {
                vec4 w_lo = unit_weights(wrow, u);
                vec4 w_hi = unit_weights_hi(wrow, u);
                uint xu = x_vec4_offset + unit_x(u);
                for (uint tt_1 = 0u; tt_1 < TOKEN_TILE; tt_1++) {
                    uint t = t0 + tt_1;
                    if (t < params.n_tokens) {
                        uint xi = xu + (t * x_vec4_stride);
                        float s = dot(w_lo, x[min(xi, (uint(x.length()) - 1u))]);
                        #if (OVERRIDE_WEIGHT_FORMAT == 4)
                        s += dot(w_hi, x[min((xi + 4u), (uint(x.length()) - 1u))]);
                        #endif
                        acc[min(tt_1, 15u)] += s;
                    }
                }
            }
        }
    }
    for (uint tt_2 = 0u; tt_2 < TOKEN_TILE; tt_2++) {
        partial_sums[min(((tt_2 * WG_SIZE) + lidx), ((WG_SIZE * (TOKEN_TILE + 1u)) - 1u))] = acc[min(tt_2, 15u)];
    }
    memoryBarrierShared();
    barrier();
    for (uint stride = THREADS_PER_ROW / 2u; stride > 0u; stride = stride / 2u) {
        if (lane < stride) {
            for (uint tt_3 = 0u; tt_3 < TOKEN_TILE; tt_3++) {
                uint i = (tt_3 * WG_SIZE) + lidx;
                partial_sums[min(i, ((WG_SIZE * (TOKEN_TILE + 1u)) - 1u))] = partial_sums[min(i, ((WG_SIZE * (TOKEN_TILE + 1u)) - 1u))] + partial_sums[min((i + stride), ((WG_SIZE * (TOKEN_TILE + 1u)) - 1u))];
            }
        }
        memoryBarrierShared();
        barrier();
    }
    if ((lane == 0u) && (row < params.rows)) {
        uint out_row = params.row_base + row;
        for (uint tt_4 = 0u; tt_4 < TOKEN_TILE; tt_4++) {
            uint t_1 = t0 + tt_4;
            if (t_1 < params.n_tokens) {
                float v = partial_sums[min(((tt_4 * WG_SIZE) + lidx), ((WG_SIZE * (TOKEN_TILE + 1u)) - 1u))];
                if (params.has_bias == 1u) {
                    v += bias[min(out_row, (uint(bias.length()) - 1u))];
                }
                uint o = ((t_1 * params.y_stride) + params.out_offset) + out_row;
                if (params.accumulate == 1u) {
                    v += y[min(o, (uint(y.length()) - 1u))];
                }
                y[min(o, (uint(y.length()) - 1u))] = v;
            }
        }
    }
}

#if defined(CHAINED_LAUNCH)
void chained_launch_body() {
#else
void main() {
#endif
    uvec3 lid = gl_LocalInvocationID;
    uvec3 wid = gl_WorkGroupID;
    #if (OVERRIDE_TOKEN_TILE == 1)
    decode_step(lid.x, wid.x);
    #else
    prefill_step(lid.x, wid);
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
