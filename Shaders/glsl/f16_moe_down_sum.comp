#version 310 es
#if defined(GL_NV_gpu_shader5)
#extension GL_NV_gpu_shader5 : require
#else
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#endif
#extension GL_KHR_shader_subgroup_arithmetic : enable
#extension GL_KHR_shader_subgroup_basic : enable
precision highp float;
precision highp int;

#ifndef OVERRIDE_WG_SIZE
#define OVERRIDE_WG_SIZE 256
#endif
const uint WG_SIZE = uint(OVERRIDE_WG_SIZE);
#ifndef OVERRIDE_THREADS_PER_ROW
#define OVERRIDE_THREADS_PER_ROW 32
#endif
const uint THREADS_PER_ROW = uint(OVERRIDE_THREADS_PER_ROW);
#ifndef OVERRIDE_SUBGROUPS
#define OVERRIDE_SUBGROUPS 0
#endif
const uint SUBGROUPS = uint(OVERRIDE_SUBGROUPS);
#ifndef OVERRIDE_BLOCKS
#define OVERRIDE_BLOCKS 90
#endif
const uint BLOCKS = uint(OVERRIDE_BLOCKS);

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

// WGSL integer division: x / 0 == x, and i32's minimum / -1 == the minimum.
uint wgsl_div(uint a, uint b) {
    return a / ((b == 0u) ? 1u : b);
}

// WGSL integer remainder: truncated (the sign follows the dividend), x % 0 == 0.
uint wgsl_rem(uint a, uint b) {
    uint d = ((b == 0u) ? 1u : b);
    return a - (a / d) * d;
}

const float ACT_SCALE = 16.0;

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
    uvec4 data[];
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
shared uvec4[(16u * BLOCKS)] staged;
shared float[WG_SIZE] partial_sums;

uvec2 fp4_pairs(uint w, uint shift) {
    uint t = w >> (shift & 31u);
    uint h02 = ((t & 458759u) << 9u) | ((t & 524296u) << 12u);
    uint h13 = (((t >> 8u) & 458759u) << 9u) | (((t >> 8u) & 524296u) << 12u);
    return uvec2(h02, h13);
}

f16vec2 word_fma(uint w, uvec4 s, f16vec2 acc) {
    uvec2 lo = fp4_pairs(w, 0u);
    uvec2 hi = fp4_pairs(w, 4u);
    f16vec2 a = acc;
    a = (unpackFloat2x16(lo.x) * unpackFloat2x16(s.x)) + a;
    a = (unpackFloat2x16(lo.y) * unpackFloat2x16(s.y)) + a;
    a = (unpackFloat2x16(hi.x) * unpackFloat2x16(s.z)) + a;
    a = (unpackFloat2x16(hi.y) * unpackFloat2x16(s.w)) + a;
    return a;
}

float block_sum(uvec4 d, uvec4 s0, uvec4 s1, uvec4 s2, uvec4 s3) {
    f16vec2 acc = unpackFloat2x16(0u);
    acc = word_fma(d.x, s0, acc);
    acc = word_fma(d.y, s1, acc);
    acc = word_fma(d.z, s2, acc);
    acc = word_fma(d.w, s3, acc);
    vec2 pair = unpackHalf2x16(packFloat2x16(acc));
    return pair.x + pair.y;
}

float e8m0_half(uint e) {
    return uintBitsToFloat((min((e + 10u), 254u) << 23u));
}

uint block_exponent(uint row, uint b) {
    return (scales[min(((row * params.scale_words_per_row) + (b / 4u)), (uint(scales.length()) - 1u))] >> (((b & 3u) * 8u) & 31u)) & 255u;
}

float expert_block(uint j, uint row, uint b) {
    uint base = ((j * 4u) * BLOCKS) + b;
    uvec4 d = data[min(((row * params.data_vec4_per_row) + b), (uint(data.length()) - 1u))];
    float sum = block_sum(d, staged[min(base, ((16u * BLOCKS) - 1u))], staged[min((base + BLOCKS), ((16u * BLOCKS) - 1u))], staged[min((base + (2u * BLOCKS)), ((16u * BLOCKS) - 1u))], staged[min((base + (3u * BLOCKS)), ((16u * BLOCKS) - 1u))]);
    return sum * e8m0_half(block_exponent(row, b));
}

vec4 experts_dot(uvec4 wrow, uint lane) {
    vec4 s = vec4(0.0);
    for (uint b = lane; b < BLOCKS; b += THREADS_PER_ROW) {
        s += vec4(expert_block(0u, wrow.x, b), expert_block(1u, wrow.y, b), expert_block(2u, wrow.z, b), expert_block(3u, wrow.w, b));
    }
    return s;
}

uvec4 stage_pairs(vec4 lo, vec4 hi) {
    vec4 a = lo * ACT_SCALE;
    vec4 c = hi * ACT_SCALE;
    return uvec4(packHalf2x16(a.xz), packHalf2x16(a.yw), packHalf2x16(c.xz), packHalf2x16(c.yw));
}

void main() {
    uvec3 lid = gl_LocalInvocationID;
    uvec3 wid = gl_WorkGroupID;
    uint rows_per_group = wgsl_div(WG_SIZE, THREADS_PER_ROW);
    uint lane = wgsl_rem(lid.x, THREADS_PER_ROW);
    uint row = (wid.x * rows_per_group) + wgsl_div(lid.x, THREADS_PER_ROW);
    uint t = wid.y;
    uvec4 wrow = uvec4(0u);
    vec4 weight = vec4(0.0);
    bvec4 used = bvec4(false);
    float bias_sum = 0.0;
    for (uint j = 0u; j < 4u; j++) {
        uint slot = (t * params.k) + min(j, (params.k - 1u));
        uint expert = ids[min(slot, (uint(ids.length()) - 1u))];
        bool in_range = ((j < params.k) && (expert >= params.expert_begin)) && (expert < params.expert_end);
        used[min(j, 3u)] = in_range;
        weight[min(j, 3u)] = in_range ? weights[min(slot, (uint(weights.length()) - 1u))] : 0.0;
        wrow[min(j, 3u)] = in_range ? (((expert - params.expert_begin) * params.rows) + min(row, (params.rows - 1u))) : 0u;
        if ((in_range && (params.has_bias == 1u)) && (row < params.rows)) {
            bias_sum += weight[min(j, 3u)] * bias[min(((expert * params.rows) + row), (uint(bias.length()) - 1u))];
        }
    }
    bool any_expert = any(used);
    if (any_expert) {
        uint slot_vec4s = params.cols / 4u;
        for (uint i = lid.x; i < (16u * BLOCKS); i += WG_SIZE) {
            uint j_1 = wgsl_div(i, (4u * BLOCKS));
            uint within = wgsl_rem(i, (4u * BLOCKS));
            uint kw = wgsl_div(within, BLOCKS);
            uint b = wgsl_rem(within, BLOCKS);
            uvec4 words = uvec4(0u);
            if (j_1 < params.k) {
                uint xv = ((t * params.k) + j_1) * slot_vec4s;
                words = stage_pairs(x[min(((xv + (8u * b)) + kw), (uint(x.length()) - 1u))], x[min((((xv + (8u * b)) + kw) + 4u), (uint(x.length()) - 1u))]);
            }
            staged[min(i, ((16u * BLOCKS) - 1u))] = words;
        }
    }
    memoryBarrierShared();
    barrier();
    float sum = 0.0;
    if (any_expert && (row < params.rows)) {
        sum = dot(mix(vec4(0.0), (experts_dot(wrow, lane) * weight), used), vec4(1.0));
    }
    float total = 0.0;
    #if (OVERRIDE_SUBGROUPS == 1)
    total = subgroupAdd(sum);
    #else
    partial_sums[lid.x] = sum;
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
    if ((any_expert && (lane == 0u)) && (row < params.rows)) {
        uint o = (t * params.y_stride) + row;
        y[min(o, (uint(y.length()) - 1u))] = (y[min(o, (uint(y.length()) - 1u))] + total) + bias_sum;
    }
}
