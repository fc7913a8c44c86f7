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
shared float[WG_SIZE] gate_sums;
shared float[WG_SIZE] up_sums;

vec4 q8x4(uint w) {
    return vec4(float((int((w << 24u)) >> 24u)), float((int((w << 16u)) >> 24u)), float((int((w << 8u)) >> 24u)), float((int(w) >> 24u)));
}

vec4 fp4x4(uint w, uint shift) {
    uint t = (w >> (shift & 31u)) & 252645135u;
    uint lo = (t & 15u) | ((t & 3840u) << 8u);
    uint hi = ((t >> 16u) & 15u) | ((t >> 8u) & 983040u);
    uint h01 = ((lo & 458759u) << 9u) | ((lo & 524296u) << 12u);
    uint h23 = ((hi & 458759u) << 9u) | ((hi & 524296u) << 12u);
    return vec4(unpackHalf2x16(h01), unpackHalf2x16(h23));
}

float e8m0_f16(uint e) {
    return uintBitsToFloat((min((e + 14u), 254u) << 23u));
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

uint vec_units_per_row() {
    if (WEIGHT_FORMAT == FORMAT_MXFP4) {
        return params.cols / 32u;
    } else if (WEIGHT_FORMAT == FORMAT_Q8_0) {
        return params.cols / 16u;
    } else if (WEIGHT_FORMAT == FORMAT_F32) {
        return params.cols / 4u;
    }
    return params.cols / 8u;
}

float vec_unit_dot(uint row, uint v, uvec4 w, uint xv) {
    if (WEIGHT_FORMAT == FORMAT_Q8_0) {
        vec2 pair = unpackHalf2x16(scales[min(((row * params.scale_words_per_row) + (v / 4u)), (uint(scales.length()) - 1u))]);
        float d = (((v / 2u) & 1u) == 1u) ? pair.y : pair.x;
        uint xb = xv + (4u * v);
        return d * (((dot(q8x4(w.x), x[min(xb, (uint(x.length()) - 1u))]) + dot(q8x4(w.y), x[min((xb + 1u), (uint(x.length()) - 1u))])) + dot(q8x4(w.z), x[min((xb + 2u), (uint(x.length()) - 1u))])) + dot(q8x4(w.w), x[min((xb + 3u), (uint(x.length()) - 1u))]));
    } else if (WEIGHT_FORMAT == FORMAT_MXFP4) {
        uint e = (scales[min(((row * params.scale_words_per_row) + (v / 4u)), (uint(scales.length()) - 1u))] >> (((v & 3u) * 8u) & 31u)) & 255u;
        uint xb_1 = xv + (8u * v);
        float lo = ((dot(fp4x4(w.x, 0u), x[min(xb_1, (uint(x.length()) - 1u))]) + dot(fp4x4(w.y, 0u), x[min((xb_1 + 1u), (uint(x.length()) - 1u))])) + dot(fp4x4(w.z, 0u), x[min((xb_1 + 2u), (uint(x.length()) - 1u))])) + dot(fp4x4(w.w, 0u), x[min((xb_1 + 3u), (uint(x.length()) - 1u))]);
        float hi = ((dot(fp4x4(w.x, 4u), x[min((xb_1 + 4u), (uint(x.length()) - 1u))]) + dot(fp4x4(w.y, 4u), x[min((xb_1 + 5u), (uint(x.length()) - 1u))])) + dot(fp4x4(w.z, 4u), x[min((xb_1 + 6u), (uint(x.length()) - 1u))])) + dot(fp4x4(w.w, 4u), x[min((xb_1 + 7u), (uint(x.length()) - 1u))]);
        return e8m0_f16(e) * (lo + hi);
    } else if (WEIGHT_FORMAT == FORMAT_F32) {
        return dot(uintBitsToFloat(w), x[min((xv + v), (uint(x.length()) - 1u))]);
    } else if (WEIGHT_FORMAT == FORMAT_F16) {
        return dot(half4(w.x, w.y), x[min((xv + (2u * v)), (uint(x.length()) - 1u))]) + dot(half4(w.z, w.w), x[min(((xv + (2u * v)) + 1u), (uint(x.length()) - 1u))]);
    }
    return dot(bf4(w.x, w.y), x[min((xv + (2u * v)), (uint(x.length()) - 1u))]) + dot(bf4(w.z, w.w), x[min(((xv + (2u * v)) + 1u), (uint(x.length()) - 1u))]);
}

vec2 pair_dot(uint gate_row, uint up_row, uint lane, uint xv) {
    uint units = vec_units_per_row();
    uint last = units - 1u;
    uint gate_base = gate_row * params.data_vec4_per_row;
    uint up_base = up_row * params.data_vec4_per_row;
    vec2 s = vec2(0.0);
    for (uint u0 = lane; u0 < units; u0 += 2u * THREADS_PER_ROW) {
        uint u1 = min((u0 + THREADS_PER_ROW), last);
        uvec4 g0 = data[min((gate_base + u0), (uint(data.length()) - 1u))];
        uvec4 p0 = data[min((up_base + u0), (uint(data.length()) - 1u))];
        uvec4 g1 = data[min((gate_base + u1), (uint(data.length()) - 1u))];
        uvec4 p1 = data[min((up_base + u1), (uint(data.length()) - 1u))];
        s += vec2(vec_unit_dot(gate_row, u0, g0, xv), vec_unit_dot(up_row, u0, p0, xv));
        vec2 second = vec2(vec_unit_dot(gate_row, u1, g1, xv), vec_unit_dot(up_row, u1, p1, xv));
        s += ((u0 + THREADS_PER_ROW) < units) ? second : vec2(0.0);
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
    if (in_range && (lane == 0u)) {
        float g = gate_sums[lid.x];
        float u = up_sums[lid.x];
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
