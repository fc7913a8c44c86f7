#version 310 es
#extension GL_KHR_shader_subgroup_arithmetic : enable
#extension GL_KHR_shader_subgroup_basic : enable
precision highp float;
precision highp int;

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
layout(std430, binding = 1) restrict readonly buffer scales_block {
    uint scales[];
};
layout(std430, binding = 2) restrict readonly buffer data_block {
    uint data[];
};
layout(std430, binding = 3) restrict readonly buffer bias_block {
    float bias[];
};
layout(std430, binding = 4) restrict readonly buffer x_block {
    vec4 x[];
};
layout(std430, binding = 5) restrict readonly buffer ids_block {
    uint ids[];
};
layout(std430, binding = 6) restrict readonly buffer weights_block {
    float weights[];
};
layout(std430, binding = 7) restrict buffer y_block {
    float y[];
};
shared float[WG_SIZE] partial_sums;

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

vec2 experts_dot(uint t, uint row, uint lane) {
    uint units = units_per_row();
    uint last = units - 1u;
    uint x_vec4_stride = params.cols / 4u;
    uint row_words = params.data_vec4_per_row * 4u;
    float acc = 0.0;
    float bias_sum = 0.0;
    for (uint j0 = 0u; j0 < params.k; j0 += 4u) {
        uvec4 wrow = uvec4(0u);
        vec4 weight = vec4(0.0);
        uvec4 xv = uvec4(0u);
        bvec4 used = bvec4(false);
        for (uint j = 0u; j < 4u; j++) {
            uint slot = (t * params.k) + min((j0 + j), (params.k - 1u));
            uint expert = ids[min(slot, (uint(ids.length()) - 1u))];
            bool in_range = (((j0 + j) < params.k) && (expert >= params.expert_begin)) && (expert < params.expert_end);
            wrow[min(j, 3u)] = in_range ? (((expert - params.expert_begin) * params.rows) + row) : 0u;
            weight[min(j, 3u)] = in_range ? weights[min(slot, (uint(weights.length()) - 1u))] : 0.0;
            xv[min(j, 3u)] = slot * x_vec4_stride;
            used[min(j, 3u)] = in_range;
            if (in_range && (params.has_bias == 1u)) {
                bias_sum += weight[min(j, 3u)] * bias[min(((expert * params.rows) + row), (uint(bias.length()) - 1u))];
            }
        }
        uvec4 words = wrow * row_words;
        vec4 s = vec4(0.0);
        for (uint u0 = lane; u0 < units; u0 += 2u * THREADS_PER_ROW) {
            uint u1 = min((u0 + THREADS_PER_ROW), last);
            uvec4 a0 = unit_load(words.x, u0);
            uvec4 a1 = unit_load(words.y, u0);
            uvec4 a2 = unit_load(words.z, u0);
            uvec4 a3 = unit_load(words.w, u0);
            uvec4 b0 = unit_load(words.x, u1);
            uvec4 b1 = unit_load(words.y, u1);
            uvec4 b2 = unit_load(words.z, u1);
            uvec4 b3 = unit_load(words.w, u1);
            UnitInputs ia0 = unit_inputs(wrow.x, u0, xv.x);
            UnitInputs ia1 = unit_inputs(wrow.y, u0, xv.y);
            UnitInputs ia2 = unit_inputs(wrow.z, u0, xv.z);
            UnitInputs ia3 = unit_inputs(wrow.w, u0, xv.w);
            UnitInputs ib0 = unit_inputs(wrow.x, u1, xv.x);
            UnitInputs ib1 = unit_inputs(wrow.y, u1, xv.y);
            UnitInputs ib2 = unit_inputs(wrow.z, u1, xv.z);
            UnitInputs ib3 = unit_inputs(wrow.w, u1, xv.w);
            s += vec4(unit_dot_with(u0, a0, ia0), unit_dot_with(u0, a1, ia1), unit_dot_with(u0, a2, ia2), unit_dot_with(u0, a3, ia3));
            vec4 more = vec4(unit_dot_with(u1, b0, ib0), unit_dot_with(u1, b1, ib1), unit_dot_with(u1, b2, ib2), unit_dot_with(u1, b3, ib3));
            s += ((u0 + THREADS_PER_ROW) < units) ? more : vec4(0.0);
        }
        acc += dot(mix(vec4(0.0), (s * weight), used), vec4(1.0));
    }
    return vec2(acc, bias_sum);
}

void main() {
    uvec3 lid = gl_LocalInvocationID;
    uvec3 wid = gl_WorkGroupID;
    uint rows_per_group = wgsl_div(WG_SIZE, THREADS_PER_ROW);
    uint lane = wgsl_rem(lid.x, THREADS_PER_ROW);
    uint row = (wid.x * rows_per_group) + wgsl_div(lid.x, THREADS_PER_ROW);
    uint t = wid.y;
    vec2 sums = vec2(0.0);
    bool any_expert = false;
    if (row < params.rows) {
        for (uint j = 0u; j < params.k; j++) {
            uint expert = ids[min(((t * params.k) + j), (uint(ids.length()) - 1u))];
            any_expert = any_expert || ((expert >= params.expert_begin) && (expert < params.expert_end));
        }
        if (any_expert) {
            sums = experts_dot(t, row, lane);
        }
    }
    float bias_sum = sums.y;
    float total = 0.0;
    #if (OVERRIDE_SUBGROUPS == 1)
    total = subgroupAdd(sums.x);
    #else
    partial_sums[lid.x] = sums.x;
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
    if (any_expert && (lane == 0u)) {
        uint o = (t * params.y_stride) + row;
        y[min(o, (uint(y.length()) - 1u))] = (y[min(o, (uint(y.length()) - 1u))] + total) + bias_sum;
    }
}
