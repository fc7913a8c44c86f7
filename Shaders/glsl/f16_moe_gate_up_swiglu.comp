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

const float ACT_SCALE = 16.0;

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
layout(std430, binding = 6) restrict buffer out_block {
    float out_1[];
};
shared uvec4[(4u * BLOCKS)] staged;
shared float[WG_SIZE] gate_sums;
shared float[WG_SIZE] up_sums;

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

vec2 pair_block(uint gate_row, uint up_row, uint b) {
    uvec4 g = data[min(((gate_row * params.data_vec4_per_row) + b), (uint(data.length()) - 1u))];
    uvec4 u = data[min(((up_row * params.data_vec4_per_row) + b), (uint(data.length()) - 1u))];
    uvec4 s0 = staged[min(b, ((4u * BLOCKS) - 1u))];
    uvec4 s1 = staged[min((BLOCKS + b), ((4u * BLOCKS) - 1u))];
    uvec4 s2 = staged[min(((2u * BLOCKS) + b), ((4u * BLOCKS) - 1u))];
    uvec4 s3 = staged[min(((3u * BLOCKS) + b), ((4u * BLOCKS) - 1u))];
    return vec2((block_sum(g, s0, s1, s2, s3) * e8m0_half(block_exponent(gate_row, b))), (block_sum(u, s0, s1, s2, s3) * e8m0_half(block_exponent(up_row, b))));
}

vec2 pair_dot(uint gate_row, uint up_row, uint lane) {
    uint last = BLOCKS - 1u;
    vec2 s = vec2(0.0);
    for (uint b0 = lane; b0 < BLOCKS; b0 += 2u * THREADS_PER_ROW) {
        uint b1 = min((b0 + THREADS_PER_ROW), last);
        vec2 first = pair_block(gate_row, up_row, b0);
        vec2 second = pair_block(gate_row, up_row, b1);
        s += first + (((b0 + THREADS_PER_ROW) < BLOCKS) ? second : vec2(0.0));
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
    uint slot = wid.y;
    uint t = wgsl_div(slot, params.k);
    uint expert = ids[min(slot, (uint(ids.length()) - 1u))];
    bool expert_bound = (expert >= params.expert_begin) && (expert < params.expert_end);
    bool in_range = (row < params.rows) && expert_bound;
    if (expert_bound) {
        uint xv = t * (params.x_stride / 4u);
        for (uint i = lid.x; i < (4u * BLOCKS); i += WG_SIZE) {
            uint kw = wgsl_div(i, BLOCKS);
            uint b = wgsl_rem(i, BLOCKS);
            staged[min(i, ((4u * BLOCKS) - 1u))] = stage_pairs(x[min(((xv + (8u * b)) + kw), (uint(x.length()) - 1u))], x[min((((xv + (8u * b)) + kw) + 4u), (uint(x.length()) - 1u))]);
        }
    }
    memoryBarrierShared();
    barrier();
    vec2 sums = vec2(0.0);
    if (in_range) {
        uint gate_row = (((expert - params.expert_begin) * 2u) * params.rows) + row;
        sums = pair_dot(gate_row, (gate_row + params.rows), lane);
    }
    vec2 total = vec2(0.0);
    #if (OVERRIDE_SUBGROUPS == 1)
    total = subgroupAdd(sums);
    #else
    gate_sums[lid.x] = sums.x;
    up_sums[lid.x] = sums.y;
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
