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
#define OVERRIDE_WEIGHT_FORMAT 4
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
#ifndef OVERRIDE_SUBGROUPS
#define OVERRIDE_SUBGROUPS 0
#endif
const uint SUBGROUPS = uint(OVERRIDE_SUBGROUPS);

layout(local_size_x = OVERRIDE_WG_SIZE, local_size_y = 1, local_size_z = 1) in;

struct Params {
    uint n_tokens;
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

const uint FORMAT_MXFP4 = 4u;
const uint FORMAT_F32 = 0u;
const uint FORMAT_Q8_0 = 3u;
const uint FORMAT_F16 = 1u;

layout(std140, binding = 0) uniform params_block {
    uint n_tokens;
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
layout(std430, binding = 5) CHAINED_COHERENT restrict readonly buffer ids_block {
    uint ids[];
};
layout(std430, binding = 6) CHAINED_COHERENT restrict buffer out_block {
    float out_1[];
};
shared float[WG_SIZE] gate_sums;
shared float[WG_SIZE] up_sums;

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

vec4 xin(uint xv, uint j) {
    return x[min((xv + j), (uint(x.length()) - 1u))];
}

uint unit_x(uint u) {
    #if (OVERRIDE_WEIGHT_FORMAT == 4)
    return ((u / 4u) * 8u) + (u & 3u);
    #endif
    return u;
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

vec4 q8x4(uint w) {
    return vec4(float((int((w << 24u)) >> 24u)), float((int((w << 16u)) >> 24u)), float((int((w << 8u)) >> 24u)), float((int(w) >> 24u)));
}

float e8m0_f16(uint e) {
    return uintBitsToFloat((min((e + 14u), 254u) << 23u));
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

vec2 row_pair_dot(uint row_a, uint row_b, uint lane, uint xv) {
    uint units = units_per_row();
    uint last = units - 1u;
    uint words_a = (row_a * params.data_vec4_per_row) * 4u;
    uint words_b = (row_b * params.data_vec4_per_row) * 4u;
    vec2 s = vec2(0.0);
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
        s += vec2(unit_dot_with(u0, a0, ia0), unit_dot_with(u0, b0, ib0));
        s += ((u0 + THREADS_PER_ROW) < units) ? vec2(unit_dot_with(u1, a1, ia1), unit_dot_with(u1, b1, ib1)) : vec2(0.0);
        s += ((u0 + (2u * THREADS_PER_ROW)) < units) ? vec2(unit_dot_with(u2, a2, ia2), unit_dot_with(u2, b2, ib2)) : vec2(0.0);
        s += ((u0 + (3u * THREADS_PER_ROW)) < units) ? vec2(unit_dot_with(u3, a3, ia3), unit_dot_with(u3, b3, ib3)) : vec2(0.0);
    }
    return s;
}

#if defined(CHAINED_LAUNCH)
void chained_launch_body() {
#else
void main() {
#endif
    uvec3 lid = gl_LocalInvocationID;
    uvec3 wid = gl_WorkGroupID;
    uint rows_per_group = wgsl_div(WG_SIZE, THREADS_PER_ROW);
    uint lane = wgsl_rem(lid.x, THREADS_PER_ROW);
    uint row = (wid.x * rows_per_group) + wgsl_div(lid.x, THREADS_PER_ROW);
    uint slot = wid.y;
    uint t = wgsl_div(slot, params.k);
    uint expert = ids[min(slot, (uint(ids.length()) - 1u))];
    bool in_range = ((row < params.rows) && (expert >= params.expert_begin)) && (expert < params.expert_end);
    float gate = 0.0;
    float up = 0.0;
    if (in_range) {
        uint gate_row = (((expert - params.expert_begin) * 2u) * params.rows) + row;
        uint up_row = gate_row + params.rows;
        uint xv = t * (params.x_stride / 4u);
        vec2 sums = row_pair_dot(gate_row, up_row, lane, xv);
        gate = sums.x;
        up = sums.y;
    }
    vec2 total = vec2(0.0);
    #if (OVERRIDE_SUBGROUPS == 1)
    total = subgroupAdd(vec2(gate, up));
    #else
    gate_sums[lid.x] = gate;
    up_sums[lid.x] = up;
    memoryBarrierShared();
    barrier();
    for (uint stride = THREADS_PER_ROW / 2u; stride > 0u; stride = stride / 2u) {
        if (lane < stride) {
            gate_sums[lid.x] = gate_sums[lid.x] + gate_sums[min((lid.x + stride), (WG_SIZE - 1u))];
            up_sums[lid.x] = up_sums[lid.x] + up_sums[min((lid.x + stride), (WG_SIZE - 1u))];
        }
        memoryBarrierShared();
        barrier();
    }
    total = vec2(gate_sums[lid.x], up_sums[lid.x]);
    #endif
    if (in_range && (lane == 0u)) {
        float g = total.x;
        float u = total.y;
        if (params.has_bias == 1u) {
            g += bias[min((((expert * 2u) * params.rows) + row), (uint(bias.length()) - 1u))];
            u += bias[min(((((expert * 2u) * params.rows) + params.rows) + row), (uint(bias.length()) - 1u))];
        }
        g = min(g, 7.0);
        u = clamp(u, -7.0, 7.0);
        float glu = g / (1.0 + exp((-1.702 * g)));
        out_1[min(((slot * params.rows) + row), (uint(out_1.length()) - 1u))] = glu * (u + 1.0);
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
