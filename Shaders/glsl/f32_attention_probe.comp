#version 310 es
precision highp float;
precision highp int;

#if defined(CHAINED_LAUNCH)
#define CHAINED_COHERENT coherent
#else
#define CHAINED_COHERENT
#endif

#ifndef OVERRIDE_WG_SIZE
#define OVERRIDE_WG_SIZE 64
#endif
const uint WG_SIZE = uint(OVERRIDE_WG_SIZE);
#ifndef OVERRIDE_HEAD_DIM
#define OVERRIDE_HEAD_DIM 64
#endif
const uint HEAD_DIM = uint(OVERRIDE_HEAD_DIM);
#ifndef OVERRIDE_KV_HALF
#define OVERRIDE_KV_HALF 0
#endif
const uint KV_HALF = uint(OVERRIDE_KV_HALF);

layout(local_size_x = OVERRIDE_WG_SIZE, local_size_y = 1, local_size_z = 1) in;

struct Params {
    uint n_heads;
    uint n_kv_heads;
    uint position;
    uint capacity;
    uint window;
    uint columns;
    uint q_offset;
    float scale;
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

const uint MAX_COLUMNS = 64u;
const float NEG_BIG = -3e+38;

layout(std140, binding = 0) uniform params_block {
    uint n_heads;
    uint n_kv_heads;
    uint position;
    uint capacity;
    uint window;
    uint columns;
    uint q_offset;
    float scale;
} params;
layout(std430, binding = 1) CHAINED_COHERENT restrict readonly buffer q_block {
    float q[];
};
layout(std430, binding = 2) CHAINED_COHERENT restrict readonly buffer k_cache_block {
    uint k_cache[];
};
layout(std430, binding = 3) CHAINED_COHERENT restrict readonly buffer sinks_block {
    float sinks[];
};
layout(std430, binding = 4) CHAINED_COHERENT restrict buffer weights_block {
    float weights[];
};
shared float[HEAD_DIM] q_shared;
shared float[64] column_scores;
shared float[WG_SIZE] reduce_max;
shared float[WG_SIZE] reduce_sum;

float load_k(uint i) {
    #if (OVERRIDE_KV_HALF == 1)
    vec2 pair = unpackHalf2x16(k_cache[min((i / 2u), (uint(k_cache.length()) - 1u))]);
    return ((i & 1u) == 1u) ? pair.y : pair.x;
    #endif
    return uintBitsToFloat(k_cache[min(i, (uint(k_cache.length()) - 1u))]);
}

#if defined(CHAINED_LAUNCH)
void chained_launch_body() {
#else
void main() {
#endif
    uvec3 lid = gl_LocalInvocationID;
    uvec3 wid = gl_WorkGroupID;
    uint head = wid.x;
    uint lane = lid.x;
    uint kv_head = wgsl_div(head, wgsl_div(params.n_heads, params.n_kv_heads));
    uint first = 0u;
    if ((params.window > 0u) && ((params.position + 1u) > params.window)) {
        first = (params.position + 1u) - params.window;
    }
    uint count = (params.position + 1u) - first;
    uint tail_start = count - params.columns;
    for (uint d = lane; d < HEAD_DIM; d += WG_SIZE) {
        q_shared[d] = q[min(((params.q_offset + (head * HEAD_DIM)) + d), (uint(q.length()) - 1u))];
    }
    memoryBarrierShared();
    barrier();
    float m = NEG_BIG;
    float l = 0.0;
    for (uint i = lane; i < count; i += WG_SIZE) {
        uint slot = wgsl_rem((first + i), params.capacity);
        uint base = ((slot * params.n_kv_heads) + kv_head) * HEAD_DIM;
        float s = 0.0;
        for (uint d_1 = 0u; d_1 < HEAD_DIM; d_1++) {
            s += q_shared[d_1] * load_k((base + d_1));
        }
        s = s * params.scale;
        if (i >= tail_start) {
            column_scores[min((i - tail_start), 63u)] = s;
        }
        if (s > m) {
            l = (l * exp((m - s))) + 1.0;
            m = s;
        } else {
            l += exp((s - m));
        }
    }
    reduce_max[lane] = m;
    reduce_sum[lane] = l;
    memoryBarrierShared();
    barrier();
    for (uint stride = WG_SIZE / 2u; stride > 0u; stride = stride / 2u) {
        if (lane < stride) {
            float m1 = reduce_max[lane];
            float m2 = reduce_max[min((lane + stride), (WG_SIZE - 1u))];
            float mm = max(m1, m2);
            reduce_sum[lane] = (reduce_sum[lane] * exp((m1 - mm))) + (reduce_sum[min((lane + stride), (WG_SIZE - 1u))] * exp((m2 - mm)));
            reduce_max[lane] = mm;
        }
        memoryBarrierShared();
        barrier();
    }
    float sink = sinks[min(head, (uint(sinks.length()) - 1u))];
    float top = max(reduce_max[0u], sink);
    float denominator = (reduce_sum[0u] * exp((reduce_max[0u] - top))) + exp((sink - top));
    for (uint j = lane; j < params.columns; j += WG_SIZE) {
        weights[min(((head * params.columns) + j), (uint(weights.length()) - 1u))] = exp((column_scores[min(j, 63u)] - top)) / denominator;
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
