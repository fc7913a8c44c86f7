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
#ifndef OVERRIDE_SLOT_LANES
#define OVERRIDE_SLOT_LANES 4
#endif
const uint SLOT_LANES = uint(OVERRIDE_SLOT_LANES);

layout(local_size_x = OVERRIDE_WG_SIZE, local_size_y = 1, local_size_z = 1) in;

struct Params {
    uint n_tokens;
    uint k;
    uint rows;
    uint cols;
    uint expert_begin;
    uint expert_end;
    uint y_stride;
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
    uint y_stride;
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
layout(std430, binding = 6) CHAINED_COHERENT restrict readonly buffer weights_block {
    float weights[];
};
layout(std430, binding = 7) CHAINED_COHERENT restrict buffer y_block {
    float y[];
};
shared float[WG_SIZE] partial_sums;
shared float[WG_SIZE] lane_sums;

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

float row_dot(uint row, uint lane, uint xv) {
    uint units = units_per_row();
    uint last = units - 1u;
    uint words = (row * params.data_vec4_per_row) * 4u;
    float s = 0.0;
    for (uint u0 = lane; u0 < units; u0 += 4u * THREADS_PER_ROW) {
        uint u1 = min((u0 + THREADS_PER_ROW), last);
        uint u2 = min((u0 + (2u * THREADS_PER_ROW)), last);
        uint u3 = min((u0 + (3u * THREADS_PER_ROW)), last);
        uvec4 a0 = unit_load(words, u0);
        uvec4 a1 = unit_load(words, u1);
        uvec4 a2 = unit_load(words, u2);
        uvec4 a3 = unit_load(words, u3);
        UnitInputs i0 = unit_inputs(row, u0, xv);
        UnitInputs i1 = unit_inputs(row, u1, xv);
        UnitInputs i2 = unit_inputs(row, u2, xv);
        UnitInputs i3 = unit_inputs(row, u3, xv);
        s += unit_dot_with(u0, a0, i0);
        s += ((u0 + THREADS_PER_ROW) < units) ? unit_dot_with(u1, a1, i1) : 0.0;
        s += ((u0 + (2u * THREADS_PER_ROW)) < units) ? unit_dot_with(u2, a2, i2) : 0.0;
        s += ((u0 + (3u * THREADS_PER_ROW)) < units) ? unit_dot_with(u3, a3, i3) : 0.0;
    }
    return s;
}

float lane_share(uint t, uint row, uint j0, uint lane) {
    uint x_vec4_stride = params.cols / 4u;
    float acc = 0.0;
    for (uint j = j0; j < params.k; j += SLOT_LANES) {
        uint slot = (t * params.k) + j;
        uint expert = ids[min(slot, (uint(ids.length()) - 1u))];
        if ((expert >= params.expert_begin) && (expert < params.expert_end)) {
            float w = weights[min(slot, (uint(weights.length()) - 1u))];
            uint wrow = ((expert - params.expert_begin) * params.rows) + row;
            acc += w * row_dot(wrow, lane, (slot * x_vec4_stride));
            if ((params.has_bias == 1u) && (lane == 0u)) {
                acc += w * bias[min(((expert * params.rows) + row), (uint(bias.length()) - 1u))];
            }
        }
    }
    return acc;
}

#if defined(CHAINED_LAUNCH)
void chained_launch_body() {
#else
void main() {
#endif
    uvec3 lid = gl_LocalInvocationID;
    uvec3 wid = gl_WorkGroupID;
    uint groups = wgsl_div(WG_SIZE, THREADS_PER_ROW);
    uint lane = wgsl_rem(lid.x, THREADS_PER_ROW);
    uint group = wgsl_div(lid.x, THREADS_PER_ROW);
    uint row = (wid.x * wgsl_div(groups, SLOT_LANES)) + wgsl_div(group, SLOT_LANES);
    uint j0 = wgsl_rem(group, SLOT_LANES);
    uint t = wid.y;
    float share = 0.0;
    if (row < params.rows) {
        share = lane_share(t, row, j0, lane);
    }
    float total = 0.0;
    #if (OVERRIDE_SUBGROUPS == 1)
    total = subgroupAdd(share);
    #else
    partial_sums[lid.x] = share;
    memoryBarrierShared();
    barrier();
    for (uint stride = THREADS_PER_ROW / 2u; stride > 0u; stride = stride / 2u) {
        if (lane < stride) {
            partial_sums[lid.x] = partial_sums[lid.x] + partial_sums[min((lid.x + stride), (WG_SIZE - 1u))];
        }
        memoryBarrierShared();
        barrier();
    }
    total = partial_sums[lid.x];
    #endif
    if (lane == 0u) {
        lane_sums[min(group, (WG_SIZE - 1u))] = total;
    }
    memoryBarrierShared();
    barrier();
    if (((lane == 0u) && (j0 == 0u)) && (row < params.rows)) {
        bool any_expert = false;
        for (uint j = 0u; j < params.k; j++) {
            uint expert = ids[min(((t * params.k) + j), (uint(ids.length()) - 1u))];
            any_expert = any_expert || ((expert >= params.expert_begin) && (expert < params.expert_end));
        }
        if (any_expert) {
            float sum = 0.0;
            for (uint j_1 = 0u; j_1 < SLOT_LANES; j_1++) {
                sum += lane_sums[min((group + j_1), (WG_SIZE - 1u))];
            }
            uint o = (t * params.y_stride) + row;
            y[min(o, (uint(y.length()) - 1u))] = y[min(o, (uint(y.length()) - 1u))] + sum;
        }
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
