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
    uint x_stride;
    uint has_bias;
    uint scale_words_per_row;
    uint data_vec4_per_row;
    uint pad0;
    uint pad1;
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
layout(std430, binding = 6) restrict buffer out_block {
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

vec4 q8x4(uint w) {
    return vec4(float((int((w << 24u)) >> 24u)), float((int((w << 16u)) >> 24u)), float((int((w << 8u)) >> 24u)), float((int(w) >> 24u)));
}

float e8m0_f16(uint e) {
    return uintBitsToFloat((min((e + 14u), 254u) << 23u));
}

uint unit_x(uint u) {
    #if (OVERRIDE_WEIGHT_FORMAT == 4)
    return ((u / 4u) * 8u) + (u & 3u);
    #endif
    return u;
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

float unit_dot(uint row, uint u, uvec4 w, uint xv) {
    #if (OVERRIDE_WEIGHT_FORMAT == 3)
    uint b = u / 8u;
    vec2 pair = unpackHalf2x16(scales[min(((row * params.scale_words_per_row) + (b / 2u)), (uint(scales.length()) - 1u))]);
    float d = ((b & 1u) == 1u) ? pair.y : pair.x;
    return d * dot(q8x4(w.x), xin(xv, u));
    #elif (OVERRIDE_WEIGHT_FORMAT == 4)
    uint b_1 = u / 4u;
    uint e = (scales[min(((row * params.scale_words_per_row) + (b_1 / 4u)), (uint(scales.length()) - 1u))] >> (((b_1 & 3u) * 8u) & 31u)) & 255u;
    uint j = unit_x(u);
    return e8m0_f16(e) * (dot(fp4x4(w.x, 0u), xin(xv, j)) + dot(fp4x4(w.x, 4u), xin(xv, (j + 4u))));
    #elif (OVERRIDE_WEIGHT_FORMAT == 0)
    return dot(uintBitsToFloat(w), xin(xv, u));
    #elif (OVERRIDE_WEIGHT_FORMAT == 1)
    return dot(vec4(unpackHalf2x16(w.x), unpackHalf2x16(w.y)), xin(xv, u));
    #endif
    return dot(vec4(bf16x2(w.x), bf16x2(w.y)), xin(xv, u));
}

vec2 pair_dot(uint gate_row, uint up_row, uint lane, uint xv) {
    uint units = units_per_row();
    uint last = units - 1u;
    uint gate_words = (gate_row * params.data_vec4_per_row) * 4u;
    uint up_words = (up_row * params.data_vec4_per_row) * 4u;
    vec2 s = vec2(0.0);
    for (uint u0 = lane; u0 < units; u0 += 4u * THREADS_PER_ROW) {
        uint u1 = min((u0 + THREADS_PER_ROW), last);
        uint u2 = min((u0 + (2u * THREADS_PER_ROW)), last);
        uint u3 = min((u0 + (3u * THREADS_PER_ROW)), last);
        uvec4 g0 = unit_load(gate_words, u0);
        uvec4 p0 = unit_load(up_words, u0);
        uvec4 g1 = unit_load(gate_words, u1);
        uvec4 p1 = unit_load(up_words, u1);
        uvec4 g2 = unit_load(gate_words, u2);
        uvec4 p2 = unit_load(up_words, u2);
        uvec4 g3 = unit_load(gate_words, u3);
        uvec4 p3 = unit_load(up_words, u3);
        s += vec2(unit_dot(gate_row, u0, g0, xv), unit_dot(up_row, u0, p0, xv));
        s += ((u0 + THREADS_PER_ROW) < units) ? vec2(unit_dot(gate_row, u1, g1, xv), unit_dot(up_row, u1, p1, xv)) : vec2(0.0);
        s += ((u0 + (2u * THREADS_PER_ROW)) < units) ? vec2(unit_dot(gate_row, u2, g2, xv), unit_dot(up_row, u2, p2, xv)) : vec2(0.0);
        s += ((u0 + (3u * THREADS_PER_ROW)) < units) ? vec2(unit_dot(gate_row, u3, g3, xv), unit_dot(up_row, u3, p3, xv)) : vec2(0.0);
    }
    return s;
}

void main() {
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
        vec2 sums = pair_dot(gate_row, up_row, lane, xv);
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
