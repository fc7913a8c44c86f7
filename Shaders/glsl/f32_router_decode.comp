#version 310 es
precision highp float;
precision highp int;

#if defined(CHAINED_LAUNCH)
#define CHAINED_COHERENT coherent
#else
#define CHAINED_COHERENT
#endif

#ifndef OVERRIDE_WG_SIZE
#define OVERRIDE_WG_SIZE 256
#endif
const uint WG_SIZE = uint(OVERRIDE_WG_SIZE);
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
    uint n_experts;
    uint k;
    uint router_row_vec4;
    uint has_bias;
    uint x_vec4_offset;
    float eps;
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

const float NEG_BIG = -3e+38;
const uint MAX_K = 32u;

layout(std140, binding = 0) uniform params_block {
    uint n_experts;
    uint k;
    uint router_row_vec4;
    uint has_bias;
    uint x_vec4_offset;
    float eps;
    uint pad0;
    uint pad1;
} params;
layout(std430, binding = 1) CHAINED_COHERENT restrict readonly buffer x_block {
    vec4 x[];
};
layout(std430, binding = 2) CHAINED_COHERENT restrict readonly buffer norm_block {
    vec4 norm[];
};
layout(std430, binding = 3) CHAINED_COHERENT restrict readonly buffer w_block {
    vec4 w[];
};
layout(std430, binding = 4) CHAINED_COHERENT restrict readonly buffer bias_block {
    float bias[];
};
layout(std430, binding = 5) CHAINED_COHERENT restrict buffer normed_block {
    vec4 normed[];
};
layout(std430, binding = 6) CHAINED_COHERENT restrict buffer ids_block {
    uint ids[];
};
layout(std430, binding = 7) CHAINED_COHERENT restrict buffer weights_block {
    float weights[];
};
shared vec4[(COLS / 4u)] h;
shared float[WG_SIZE] partial_sums;
shared float[EXPERTS] expert_logits;
shared float[32] chosen_value;
shared uint[32] chosen_index;

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
    partial_sums[min(lane, (WG_SIZE - 1u))] = s;
    memoryBarrierShared();
    barrier();
    for (uint stride = per_expert / 2u; stride > 0u; stride = stride / 2u) {
        if (sub < stride) {
            partial_sums[min(lane, (WG_SIZE - 1u))] = partial_sums[min(lane, (WG_SIZE - 1u))] + partial_sums[min((lane + stride), (WG_SIZE - 1u))];
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

#if defined(CHAINED_LAUNCH)
void chained_launch_body() {
#else
void main() {
#endif
    uvec3 lid = gl_LocalInvocationID;
    uint lane = lid.x;
    uint quads = COLS / 4u;
    float sq = 0.0;
    for (uint i = lane; i < quads; i += WG_SIZE) {
        vec4 v = x[min((params.x_vec4_offset + i), (uint(x.length()) - 1u))];
        sq += dot(v, v);
    }
    partial_sums[lane] = sq;
    memoryBarrierShared();
    barrier();
    for (uint stride = WG_SIZE / 2u; stride > 0u; stride = stride / 2u) {
        if (lane < stride) {
            partial_sums[lane] = partial_sums[lane] + partial_sums[min((lane + stride), (WG_SIZE - 1u))];
        }
        memoryBarrierShared();
        barrier();
    }
    float inv_rms = inversesqrt(((partial_sums[0u] / float(COLS)) + params.eps));
    for (uint i_1 = lane; i_1 < quads; i_1 += WG_SIZE) {
        vec4 v_1 = (x[min((params.x_vec4_offset + i_1), (uint(x.length()) - 1u))] * inv_rms) * norm[min(i_1, (uint(norm.length()) - 1u))];
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
            logit = partial_sums[min((lane * per_expert), (WG_SIZE - 1u))];
            if (params.has_bias == 1u) {
                logit += bias[min(lane, (uint(bias.length()) - 1u))];
            }
        }
        expert_logits[min(lane, (EXPERTS - 1u))] = logit;
    }
    pick_top_k(lane);
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
