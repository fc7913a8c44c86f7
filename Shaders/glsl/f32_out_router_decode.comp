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
#define OVERRIDE_WG_SIZE 256
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
#ifndef OVERRIDE_COLS
#define OVERRIDE_COLS 2880
#endif
const uint COLS = uint(OVERRIDE_COLS);
#ifndef OVERRIDE_EXPERTS
#define OVERRIDE_EXPERTS 32
#endif
const uint EXPERTS = uint(OVERRIDE_EXPERTS);

layout(local_size_x = OVERRIDE_WG_SIZE, local_size_y = 1, local_size_z = 1) in;

struct Params {
    uint rows;
    uint cols;
    uint has_bias;
    uint scale_words_per_row;
    uint data_vec4_per_row;
    uint y_offset;
    uint n_groups;
    uint n_experts;
    uint k;
    uint router_row_vec4;
    uint router_has_bias;
    float eps;
    uint warm_mask;
    uint pad0;
    uint pad1;
    uint pad2;
};

struct UnitInputs {
    uint scale;
    vec4 xa;
    vec4 xb;
};

// WGSL integer remainder: truncated (the sign follows the dividend), x % 0 == 0.
uint wgsl_rem(uint a, uint b) {
    uint d = ((b == 0u) ? 1u : b);
    return a - (a / d) * d;
}

// WGSL integer division: x / 0 == x, and i32's minimum / -1 == the minimum.
uint wgsl_div(uint a, uint b) {
    return a / ((b == 0u) ? 1u : b);
}

const uint FORMAT_MXFP4 = 4u;
const uint FORMAT_F32 = 0u;
const uint FORMAT_Q8_0 = 3u;
const uint FORMAT_F16 = 1u;
const float NEG_BIG = -3e+38;
const uint MAX_K = 32u;

layout(std140, binding = 0) uniform params_block {
    uint rows;
    uint cols;
    uint has_bias;
    uint scale_words_per_row;
    uint data_vec4_per_row;
    uint y_offset;
    uint n_groups;
    uint n_experts;
    uint k;
    uint router_row_vec4;
    uint router_has_bias;
    float eps;
    uint warm_mask;
    uint pad0;
    uint pad1;
    uint pad2;
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
    uint y[];
};
layout(std430, binding = 6) CHAINED_COHERENT restrict readonly buffer norm_block {
    vec4 norm[];
};
layout(std430, binding = 7) CHAINED_COHERENT restrict readonly buffer w_block {
    vec4 w[];
};
layout(std430, binding = 8) CHAINED_COHERENT restrict readonly buffer rbias_block {
    float rbias[];
};
layout(std430, binding = 9) CHAINED_COHERENT restrict buffer normed_block {
    vec4 normed[];
};
layout(std430, binding = 10) CHAINED_COHERENT restrict buffer ids_block {
    uint ids[];
};
layout(std430, binding = 11) CHAINED_COHERENT restrict buffer weights_block {
    float weights[];
};
layout(std430, binding = 12) CHAINED_COHERENT restrict buffer counter_block {
    uint counter[];
};
shared float[(WG_SIZE * 2u)] partial_sums;
shared uint is_last;
shared vec4[(COLS / 4u)] h;
shared float[EXPERTS] expert_logits;
shared float[32] chosen_value;
shared uint[32] chosen_index;

float residual(uint i) {
    return uintBitsToFloat(atomicOr(y[min((params.y_offset + i), (uint(y.length()) - 1u))], 0u));
}

vec4 residual4(uint q) {
    uint i = 4u * q;
    return vec4(residual(i), residual((i + 1u)), residual((i + 2u)), residual((i + 3u)));
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

vec4 q8x4(uint w_1) {
    return vec4(float((int((w_1 << 24u)) >> 24u)), float((int((w_1 << 16u)) >> 24u)), float((int((w_1 << 8u)) >> 24u)), float((int(w_1) >> 24u)));
}

float e8m0_f16(uint e) {
    return uintBitsToFloat((min((e + 14u), 254u) << 23u));
}

vec4 fp4x4(uint w_1, uint shift) {
    uint t = w_1 >> (shift & 31u);
    uint h02 = ((t & 458759u) << 9u) | ((t & 524296u) << 12u);
    uint h13 = (((t >> 8u) & 458759u) << 9u) | (((t >> 8u) & 524296u) << 12u);
    vec2 v02 = unpackHalf2x16(h02);
    vec2 v13 = unpackHalf2x16(h13);
    return vec4(v02.x, v13.x, v02.y, v13.y);
}

vec2 bf16x2(uint w_1) {
    return vec2(uintBitsToFloat((w_1 << 16u)), uintBitsToFloat((w_1 & 4294901760u)));
}

float unit_dot_with(uint u, uvec4 w_1, UnitInputs i) {
    #if (OVERRIDE_WEIGHT_FORMAT == 3)
    vec2 pair = unpackHalf2x16(i.scale);
    float d = (((u / 8u) & 1u) == 1u) ? pair.y : pair.x;
    return d * dot(q8x4(w_1.x), i.xa);
    #elif (OVERRIDE_WEIGHT_FORMAT == 4)
    uint e = (i.scale >> ((((u / 4u) & 3u) * 8u) & 31u)) & 255u;
    return e8m0_f16(e) * (dot(fp4x4(w_1.x, 0u), i.xa) + dot(fp4x4(w_1.x, 4u), i.xb));
    #elif (OVERRIDE_WEIGHT_FORMAT == 0)
    return dot(uintBitsToFloat(w_1), i.xa);
    #elif (OVERRIDE_WEIGHT_FORMAT == 1)
    return dot(vec4(unpackHalf2x16(w_1.x), unpackHalf2x16(w_1.y)), i.xa);
    #endif
    return dot(vec4(bf16x2(w_1.x), bf16x2(w_1.y)), i.xa);
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

void project(uint lidx, uint wg) {
    uint lane = wgsl_rem(lidx, THREADS_PER_ROW);
    uint group = (wg * wgsl_div(WG_SIZE, THREADS_PER_ROW)) + wgsl_div(lidx, THREADS_PER_ROW);
    uint pairs = (params.rows + 1u) / 2u;
    bool valid = group < pairs;
    uint first = 2u * min(group, (pairs - 1u));
    uint second = min((first + 1u), (params.rows - 1u));
    vec2 sums = vec2(0.0);
    if (valid) {
        sums = row_pair_dot(first, second, lane, 0u);
    }
    vec2 total = vec2(0.0);
    #if (OVERRIDE_SUBGROUPS == 1)
    total = subgroupAdd(sums);
    #else
    partial_sums[min(lidx, ((WG_SIZE * 2u) - 1u))] = sums.x;
    partial_sums[min((WG_SIZE + lidx), ((WG_SIZE * 2u) - 1u))] = sums.y;
    memoryBarrierShared();
    barrier();
    for (uint stride = THREADS_PER_ROW / 2u; stride > 0u; stride = stride / 2u) {
        if (lane < stride) {
            partial_sums[min(lidx, ((WG_SIZE * 2u) - 1u))] = partial_sums[min(lidx, ((WG_SIZE * 2u) - 1u))] + partial_sums[min((lidx + stride), ((WG_SIZE * 2u) - 1u))];
            partial_sums[min((WG_SIZE + lidx), ((WG_SIZE * 2u) - 1u))] = partial_sums[min((WG_SIZE + lidx), ((WG_SIZE * 2u) - 1u))] + partial_sums[min(((WG_SIZE + lidx) + stride), ((WG_SIZE * 2u) - 1u))];
        }
        memoryBarrierShared();
        barrier();
    }
    total = vec2(partial_sums[min(lidx, ((WG_SIZE * 2u) - 1u))], partial_sums[min((WG_SIZE + lidx), ((WG_SIZE * 2u) - 1u))]);
    #endif
    if ((lane == 0u) && valid) {
        vec2 v = total;
        if (params.has_bias == 1u) {
            v += vec2(bias[min(first, (uint(bias.length()) - 1u))], bias[min(second, (uint(bias.length()) - 1u))]);
        }
        atomicExchange(y[min((params.y_offset + first), (uint(y.length()) - 1u))], floatBitsToUint((residual(first) + v.x)));
        if (second != first) {
            atomicExchange(y[min((params.y_offset + second), (uint(y.length()) - 1u))], floatBitsToUint((residual(second) + v.y)));
        }
    }
}

float warm_router(uint lane, uint group) {
    uint sectors = ((params.n_experts * params.router_row_vec4) + 1u) / 2u;
    uint per_group = wgsl_div(((sectors + params.n_groups) - 1u), params.n_groups);
    float sum = 0.0;
    for (uint j = lane; j < per_group; j += WG_SIZE) {
        uint sector = (group * per_group) + j;
        if (sector < sectors) {
            sum += w[min((2u * sector), (uint(w.length()) - 1u))].x;
        }
    }
    return sum;
}

void keep_warm(float sum) {
    if ((floatBitsToUint(sum) & params.warm_mask) != 0u) {
        normed[0u] = vec4(sum);
    }
}

void expert_dots(uint lane) {
    uint quads = COLS / 4u;
    uint per_expert = wgsl_div(WG_SIZE, EXPERTS);
    uint e = wgsl_div(lane, per_expert);
    uint sub = wgsl_rem(lane, per_expert);
    float s = 0.0;
    if (e < params.n_experts) {
        uint row = e * params.router_row_vec4;
        uint last = quads - 1u;
        for (uint i = sub; i < quads; i += 4u * per_expert) {
            uint i1 = min((i + per_expert), last);
            uint i2 = min((i + (2u * per_expert)), last);
            uint i3 = min((i + (3u * per_expert)), last);
            vec4 w0 = w[min((row + i), (uint(w.length()) - 1u))];
            vec4 w1 = w[min((row + i1), (uint(w.length()) - 1u))];
            vec4 w2 = w[min((row + i2), (uint(w.length()) - 1u))];
            vec4 w3 = w[min((row + i3), (uint(w.length()) - 1u))];
            s += dot(w0, h[min(i, ((COLS / 4u) - 1u))]);
            s += ((i + per_expert) < quads) ? dot(w1, h[min(i1, ((COLS / 4u) - 1u))]) : 0.0;
            s += ((i + (2u * per_expert)) < quads) ? dot(w2, h[min(i2, ((COLS / 4u) - 1u))]) : 0.0;
            s += ((i + (3u * per_expert)) < quads) ? dot(w3, h[min(i3, ((COLS / 4u) - 1u))]) : 0.0;
        }
    }
    partial_sums[min(lane, ((WG_SIZE * 2u) - 1u))] = s;
    memoryBarrierShared();
    barrier();
    for (uint stride = per_expert / 2u; stride > 0u; stride = stride / 2u) {
        if (sub < stride) {
            partial_sums[min(lane, ((WG_SIZE * 2u) - 1u))] = partial_sums[min(lane, ((WG_SIZE * 2u) - 1u))] + partial_sums[min((lane + stride), ((WG_SIZE * 2u) - 1u))];
        }
        memoryBarrierShared();
        barrier();
    }
}

void pick_top_k(uint lane) {
    if (lane < MAX_K) {
        chosen_value[min(lane, 31u)] = NEG_BIG;
        chosen_index[min(lane, 31u)] = 4294967295u;
    }
    memoryBarrierShared();
    barrier();
    if (lane < params.n_experts) {
        float v = expert_logits[min(lane, (EXPERTS - 1u))];
        uint rank = 0u;
        for (uint o = 0u; o < params.n_experts; o++) {
            float other = expert_logits[min(o, (EXPERTS - 1u))];
            if ((other > v) || ((other == v) && (o < lane))) {
                rank++;
            }
        }
        if (rank < params.k) {
            chosen_value[min(rank, 31u)] = v;
            chosen_index[min(rank, 31u)] = lane;
        }
    }
    memoryBarrierShared();
    barrier();
    if (lane == 0u) {
        float m = chosen_value[0u];
        float total = 0.0;
        for (uint j = 0u; j < params.k; j++) {
            total += exp((chosen_value[min(j, 31u)] - m));
        }
        for (uint j_1 = 0u; j_1 < params.k; j_1++) {
            ids[min(j_1, (uint(ids.length()) - 1u))] = chosen_index[min(j_1, 31u)];
            weights[min(j_1, (uint(weights.length()) - 1u))] = exp((chosen_value[min(j_1, 31u)] - m)) / total;
        }
    }
}

void route(uint lane) {
    uint quads = COLS / 4u;
    float sq = 0.0;
    for (uint i = lane; i < quads; i += WG_SIZE) {
        vec4 v = residual4(i);
        h[min(i, ((COLS / 4u) - 1u))] = v;
        sq += dot(v, v);
    }
    partial_sums[min(lane, ((WG_SIZE * 2u) - 1u))] = sq;
    memoryBarrierShared();
    barrier();
    for (uint stride = WG_SIZE / 2u; stride > 0u; stride = stride / 2u) {
        if (lane < stride) {
            partial_sums[min(lane, ((WG_SIZE * 2u) - 1u))] = partial_sums[min(lane, ((WG_SIZE * 2u) - 1u))] + partial_sums[min((lane + stride), ((WG_SIZE * 2u) - 1u))];
        }
        memoryBarrierShared();
        barrier();
    }
    float inv_rms = inversesqrt(((partial_sums[0u] / float(COLS)) + params.eps));
    memoryBarrierShared();
    barrier();
    for (uint i_1 = lane; i_1 < quads; i_1 += WG_SIZE) {
        vec4 v_1 = (h[min(i_1, ((COLS / 4u) - 1u))] * inv_rms) * norm[min(i_1, (uint(norm.length()) - 1u))];
        h[min(i_1, ((COLS / 4u) - 1u))] = v_1;
        normed[min(i_1, (uint(normed.length()) - 1u))] = v_1;
    }
    memoryBarrierShared();
    barrier();
    expert_dots(lane);
    uint per_expert = wgsl_div(WG_SIZE, EXPERTS);
    if (lane < EXPERTS) {
        float logit = NEG_BIG;
        if (lane < params.n_experts) {
            logit = partial_sums[min((lane * per_expert), ((WG_SIZE * 2u) - 1u))];
            if (params.router_has_bias == 1u) {
                logit += rbias[min(lane, (uint(rbias.length()) - 1u))];
            }
        }
        expert_logits[min(lane, (EXPERTS - 1u))] = logit;
    }
    pick_top_k(lane);
    if (lane == 0u) {
        atomicExchange(counter[0u], 0u);
    }
}

#if defined(CHAINED_LAUNCH)
void chained_launch_body() {
#else
void main() {
#endif
    uvec3 lid = gl_LocalInvocationID;
    uvec3 wid = gl_WorkGroupID;
    float warm = warm_router(lid.x, wid.x);
    project(lid.x, wid.x);
    keep_warm(warm);
    memoryBarrierBuffer();
    barrier();
    if (lid.x == 0u) {
        uint finished = atomicAdd(counter[0u], 1u);
        is_last = ((finished + 1u) == params.n_groups) ? 1u : 0u;
    }
    memoryBarrierShared();
    barrier();
    uint uniform_value = is_last;
    memoryBarrierShared();
    barrier();
    uint last = uniform_value;
    if (last == 1u) {
        route(lid.x);
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
