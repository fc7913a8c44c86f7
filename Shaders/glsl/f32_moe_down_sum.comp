#version 310 es
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

const uint FORMAT_F32 = 0u;
const uint FORMAT_F16 = 1u;
const uint FORMAT_BF16 = 2u;
const uint FORMAT_Q8_0 = 3u;
const uint FORMAT_MXFP4 = 4u;

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
shared float[WG_SIZE] partial_sums;

vec4 q8x4(uint w) {
    return vec4(float((int((w << 24u)) >> 24u)), float((int((w << 16u)) >> 24u)), float((int((w << 8u)) >> 24u)), float((int(w) >> 24u)));
}

float e2m1x2(uint code) {
    uint m = code & 7u;
    float v = float(m);
    if (m >= 4u) {
        v = float(((2u + (m & 1u)) << (((m >> 1u) - 1u) & 31u)));
    }
    return ((code & 8u) != 0u) ? (-v) : v;
}

vec4 fp4x4(uint w, uint shift) {
    return vec4(e2m1x2(((w >> (shift & 31u)) & 15u)), e2m1x2(((w >> ((shift + 8u) & 31u)) & 15u)), e2m1x2(((w >> ((shift + 16u) & 31u)) & 15u)), e2m1x2(((w >> ((shift + 24u) & 31u)) & 15u)));
}

float e8m0_half(uint e) {
    return uintBitsToFloat(((e >= 2u) ? ((e - 1u) << 23u) : 0u));
}

vec2 bf16x2(uint w) {
    return vec2(uintBitsToFloat((w << 16u)), uintBitsToFloat((w & 4294901760u)));
}

float block_dot(uint row, uint b, uint xv) {
    if (WEIGHT_FORMAT == FORMAT_Q8_0) {
        vec2 pair = unpackHalf2x16(scales[min(((row * params.scale_words_per_row) + (b / 2u)), (uint(scales.length()) - 1u))]);
        float d = ((b & 1u) == 1u) ? pair.y : pair.x;
        uint base = (row * params.data_vec4_per_row) + (b * 2u);
        uvec4 w0 = data[min(base, (uint(data.length()) - 1u))];
        uvec4 w1 = data[min((base + 1u), (uint(data.length()) - 1u))];
        float s = ((((((dot(q8x4(w0.x), x[min(xv, (uint(x.length()) - 1u))]) + dot(q8x4(w0.y), x[min((xv + 1u), (uint(x.length()) - 1u))])) + dot(q8x4(w0.z), x[min((xv + 2u), (uint(x.length()) - 1u))])) + dot(q8x4(w0.w), x[min((xv + 3u), (uint(x.length()) - 1u))])) + dot(q8x4(w1.x), x[min((xv + 4u), (uint(x.length()) - 1u))])) + dot(q8x4(w1.y), x[min((xv + 5u), (uint(x.length()) - 1u))])) + dot(q8x4(w1.z), x[min((xv + 6u), (uint(x.length()) - 1u))])) + dot(q8x4(w1.w), x[min((xv + 7u), (uint(x.length()) - 1u))]);
        return d * s;
    } else if (WEIGHT_FORMAT == FORMAT_MXFP4) {
        uint e = (scales[min(((row * params.scale_words_per_row) + (b / 4u)), (uint(scales.length()) - 1u))] >> (((b & 3u) * 8u) & 31u)) & 255u;
        uvec4 w = data[min(((row * params.data_vec4_per_row) + b), (uint(data.length()) - 1u))];
        float s_1 = ((((((dot(fp4x4(w.x, 0u), x[min(xv, (uint(x.length()) - 1u))]) + dot(fp4x4(w.y, 0u), x[min((xv + 1u), (uint(x.length()) - 1u))])) + dot(fp4x4(w.z, 0u), x[min((xv + 2u), (uint(x.length()) - 1u))])) + dot(fp4x4(w.w, 0u), x[min((xv + 3u), (uint(x.length()) - 1u))])) + dot(fp4x4(w.x, 4u), x[min((xv + 4u), (uint(x.length()) - 1u))])) + dot(fp4x4(w.y, 4u), x[min((xv + 5u), (uint(x.length()) - 1u))])) + dot(fp4x4(w.z, 4u), x[min((xv + 6u), (uint(x.length()) - 1u))])) + dot(fp4x4(w.w, 4u), x[min((xv + 7u), (uint(x.length()) - 1u))]);
        return e8m0_half(e) * s_1;
    } else if (WEIGHT_FORMAT == FORMAT_F32) {
        uint base_1 = (row * params.data_vec4_per_row) + (b * 8u);
        float s_2 = 0.0;
        for (uint i = 0u; i < 8u; i++) {
            s_2 += dot(uintBitsToFloat(data[min((base_1 + i), (uint(data.length()) - 1u))]), x[min((xv + i), (uint(x.length()) - 1u))]);
        }
        return s_2;
    } else if (WEIGHT_FORMAT == FORMAT_F16) {
        uint base_2 = (row * params.data_vec4_per_row) + (b * 4u);
        float s_3 = 0.0;
        for (uint i_1 = 0u; i_1 < 4u; i_1++) {
            uvec4 w_1 = data[min((base_2 + i_1), (uint(data.length()) - 1u))];
            s_3 += dot(vec4(unpackHalf2x16(w_1.x), unpackHalf2x16(w_1.y)), x[min((xv + (2u * i_1)), (uint(x.length()) - 1u))]) + dot(vec4(unpackHalf2x16(w_1.z), unpackHalf2x16(w_1.w)), x[min(((xv + (2u * i_1)) + 1u), (uint(x.length()) - 1u))]);
        }
        return s_3;
    } else {
        uint base_3 = (row * params.data_vec4_per_row) + (b * 4u);
        float s_4 = 0.0;
        for (uint i_2 = 0u; i_2 < 4u; i_2++) {
            uvec4 w_2 = data[min((base_3 + i_2), (uint(data.length()) - 1u))];
            s_4 += dot(vec4(bf16x2(w_2.x), bf16x2(w_2.y)), x[min((xv + (2u * i_2)), (uint(x.length()) - 1u))]) + dot(vec4(bf16x2(w_2.z), bf16x2(w_2.w)), x[min(((xv + (2u * i_2)) + 1u), (uint(x.length()) - 1u))]);
        }
        return s_4;
    }
}

void main() {
    uvec3 lid = gl_LocalInvocationID;
    uvec3 wid = gl_WorkGroupID;
    uint rows_per_group = wgsl_div(WG_SIZE, THREADS_PER_ROW);
    uint lane = wgsl_rem(lid.x, THREADS_PER_ROW);
    uint row = (wid.x * rows_per_group) + wgsl_div(lid.x, THREADS_PER_ROW);
    uint t = wid.y;
    uint blocks = params.cols / 32u;
    uint x_vec4_stride = params.cols / 4u;
    float acc = 0.0;
    float bias_sum = 0.0;
    bool any_expert = false;
    if (row < params.rows) {
        for (uint j = 0u; j < params.k; j++) {
            uint slot = (t * params.k) + j;
            uint expert = ids[min(slot, (uint(ids.length()) - 1u))];
            if ((expert >= params.expert_begin) && (expert < params.expert_end)) {
                any_expert = true;
                float w = weights[min(slot, (uint(weights.length()) - 1u))];
                uint wrow = ((expert - params.expert_begin) * params.rows) + row;
                float s = 0.0;
                for (uint b = lane; b < blocks; b += THREADS_PER_ROW) {
                    s += block_dot(wrow, b, ((slot * x_vec4_stride) + (b * 8u)));
                }
                acc += w * s;
                if (params.has_bias == 1u) {
                    bias_sum += w * bias[min(((expert * params.rows) + row), (uint(bias.length()) - 1u))];
                }
            }
        }
    }
    partial_sums[lid.x] = acc;
    memoryBarrierShared();
    barrier();
    for (uint stride = THREADS_PER_ROW / 2u; stride > 0u; stride = stride / 2u) {
        if (lane < stride) {
            partial_sums[lid.x] = partial_sums[lid.x] + partial_sums[min((lid.x + stride), (WG_SIZE - 1u))];
        }
        memoryBarrierShared();
        barrier();
    }
    if (any_expert && (lane == 0u)) {
        uint o = (t * params.y_stride) + row;
        y[min(o, (uint(y.length()) - 1u))] = (y[min(o, (uint(y.length()) - 1u))] + partial_sums[lid.x]) + bias_sum;
    }
}
