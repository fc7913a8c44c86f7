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
#ifndef OVERRIDE_HEAD_DIM
#define OVERRIDE_HEAD_DIM 64
#endif
const uint HEAD_DIM = uint(OVERRIDE_HEAD_DIM);
#ifndef OVERRIDE_KV_HALF
#define OVERRIDE_KV_HALF 0
#endif
const uint KV_HALF = uint(OVERRIDE_KV_HALF);
#ifndef OVERRIDE_SPLIT_KEYS
#define OVERRIDE_SPLIT_KEYS 256
#endif
const uint SPLIT_KEYS = uint(OVERRIDE_SPLIT_KEYS);

layout(local_size_x = OVERRIDE_WG_SIZE, local_size_y = 1, local_size_z = 1) in;

struct Params {
    uint n_heads;
    uint n_kv_heads;
    uint position;
    uint capacity;
    uint window;
    uint n_splits;
    uint q_offset;
    float scale;
    uint out_offset;
    uint finalize;
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

const uint GROUP = 8u;
const float NEG_BIG = -3e+38;

layout(std140, binding = 0) uniform params_block {
    uint n_heads;
    uint n_kv_heads;
    uint position;
    uint capacity;
    uint window;
    uint n_splits;
    uint q_offset;
    float scale;
    uint out_offset;
    uint finalize;
    uint pad0;
    uint pad1;
} params;
layout(std430, binding = 1) CHAINED_COHERENT restrict readonly buffer q_block {
    float q[];
};
layout(std430, binding = 2) CHAINED_COHERENT restrict readonly buffer k_cache_block {
    uvec4 k_cache[];
};
layout(std430, binding = 3) CHAINED_COHERENT restrict readonly buffer v_cache_block {
    uint v_cache[];
};
layout(std430, binding = 4) CHAINED_COHERENT restrict buffer partials_block {
    float partials[];
};
layout(std430, binding = 5) CHAINED_COHERENT restrict readonly buffer sinks_block {
    float sinks[];
};
layout(std430, binding = 6) CHAINED_COHERENT restrict buffer out_block {
    float out_1[];
};
shared vec4[((GROUP * HEAD_DIM) / 4u)] q_shared;
shared float[(GROUP * SPLIT_KEYS)] scores;
shared float[WG_SIZE] reduce_buf;
shared float[16] head_stats;
shared float[(WG_SIZE * GROUP)] value_parts;

vec4 halves_low(uvec4 w) {
    return vec4(unpackHalf2x16(w.x), unpackHalf2x16(w.y));
}

vec4 halves_high(uvec4 w) {
    return vec4(unpackHalf2x16(w.z), unpackHalf2x16(w.w));
}

float load_v(uint i) {
    #if (OVERRIDE_KV_HALF == 1)
    vec2 pair = unpackHalf2x16(v_cache[min((i / 2u), (uint(v_cache.length()) - 1u))]);
    return ((i & 1u) == 1u) ? pair.y : pair.x;
    #endif
    return uintBitsToFloat(v_cache[min(i, (uint(v_cache.length()) - 1u))]);
}

#if defined(CHAINED_LAUNCH)
void chained_launch_body() {
#else
void main() {
#endif
    uvec3 lid = gl_LocalInvocationID;
    uvec3 wid = gl_WorkGroupID;
    uint split = wid.x;
    uint lane = lid.x;
    uint group_size = wgsl_div(params.n_heads, params.n_kv_heads);
    uint head_blocks = wgsl_div(((group_size + GROUP) - 1u), GROUP);
    uint kv_head = wgsl_div(wid.y, head_blocks);
    uint head0 = (kv_head * group_size) + (wgsl_rem(wid.y, head_blocks) * GROUP);
    uint heads_here = min(GROUP, (((kv_head * group_size) + group_size) - head0));
    uint first = 0u;
    if ((params.window > 0u) && ((params.position + 1u) > params.window)) {
        first = (params.position + 1u) - params.window;
    }
    uint begin = first + (split * SPLIT_KEYS);
    uint end = min((begin + SPLIT_KEYS), (params.position + 1u));
    uint count = 0u;
    if (end > begin) {
        count = end - begin;
    }
    for (uint i = lane; i < ((GROUP * HEAD_DIM) / 4u); i += WG_SIZE) {
        uint g = wgsl_div(i, (HEAD_DIM / 4u));
        vec4 v = vec4(0.0);
        if (g < heads_here) {
            uint at = (params.q_offset + ((head0 + g) * HEAD_DIM)) + (wgsl_rem(i, (HEAD_DIM / 4u)) * 4u);
            v = vec4(q[min(at, (uint(q.length()) - 1u))], q[min((at + 1u), (uint(q.length()) - 1u))], q[min((at + 2u), (uint(q.length()) - 1u))], q[min((at + 3u), (uint(q.length()) - 1u))]);
        }
        q_shared[min(i, (((GROUP * HEAD_DIM) / 4u) - 1u))] = v;
    }
    memoryBarrierShared();
    barrier();
    uint words_per_row = wgsl_div(HEAD_DIM, ((KV_HALF == 1u) ? 8u : 4u));
    for (uint i_1 = lane; i_1 < count; i_1 += WG_SIZE) {
        uint slot = wgsl_rem((begin + i_1), params.capacity);
        uint row = ((slot * params.n_kv_heads) + kv_head) * words_per_row;
        float[8] s = float[8](0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
        for (uint c = 0u; c < words_per_row; c++) {
            uvec4 w = k_cache[min((row + c), (uint(k_cache.length()) - 1u))];
            #if (OVERRIDE_KV_HALF == 1)
            vec4 lo = halves_low(w);
            vec4 hi = halves_high(w);
            for (uint g_1 = 0u; g_1 < GROUP; g_1++) {
                s[g_1] += dot(q_shared[min((((g_1 * HEAD_DIM) / 4u) + (2u * c)), (((GROUP * HEAD_DIM) / 4u) - 1u))], lo) + dot(q_shared[min(((((g_1 * HEAD_DIM) / 4u) + (2u * c)) + 1u), (((GROUP * HEAD_DIM) / 4u) - 1u))], hi);
            }
            #else
            vec4 k = uintBitsToFloat(w);
            for (uint g_2 = 0u; g_2 < GROUP; g_2++) {
                s[g_2] += dot(q_shared[min((((g_2 * HEAD_DIM) / 4u) + c), (((GROUP * HEAD_DIM) / 4u) - 1u))], k);
            }
            #endif
        }
        for (uint g_3 = 0u; g_3 < GROUP; g_3++) {
            scores[min(((g_3 * SPLIT_KEYS) + i_1), ((GROUP * SPLIT_KEYS) - 1u))] = s[g_3] * params.scale;
        }
    }
    memoryBarrierShared();
    barrier();
    uint per_head = wgsl_div(WG_SIZE, GROUP);
    uint g_own = wgsl_div(lane, per_head);
    uint j = wgsl_rem(lane, per_head);
    float local_max = NEG_BIG;
    for (uint i_2 = j; i_2 < count; i_2 += per_head) {
        local_max = max(local_max, scores[min(((g_own * SPLIT_KEYS) + i_2), ((GROUP * SPLIT_KEYS) - 1u))]);
    }
    reduce_buf[lane] = local_max;
    memoryBarrierShared();
    barrier();
    for (uint stride = per_head / 2u; stride > 0u; stride = stride / 2u) {
        if (j < stride) {
            reduce_buf[lane] = max(reduce_buf[lane], reduce_buf[min((lane + stride), (WG_SIZE - 1u))]);
        }
        memoryBarrierShared();
        barrier();
    }
    float m = reduce_buf[min((g_own * per_head), (WG_SIZE - 1u))];
    memoryBarrierShared();
    barrier();
    float local_sum = 0.0;
    for (uint i_3 = j; i_3 < count; i_3 += per_head) {
        float p = exp((scores[min(((g_own * SPLIT_KEYS) + i_3), ((GROUP * SPLIT_KEYS) - 1u))] - m));
        scores[min(((g_own * SPLIT_KEYS) + i_3), ((GROUP * SPLIT_KEYS) - 1u))] = p;
        local_sum += p;
    }
    reduce_buf[lane] = local_sum;
    memoryBarrierShared();
    barrier();
    for (uint stride_1 = per_head / 2u; stride_1 > 0u; stride_1 = stride_1 / 2u) {
        if (j < stride_1) {
            reduce_buf[lane] = reduce_buf[lane] + reduce_buf[min((lane + stride_1), (WG_SIZE - 1u))];
        }
        memoryBarrierShared();
        barrier();
    }
    if (j == 0u) {
        head_stats[min((2u * g_own), 15u)] = m;
        head_stats[min(((2u * g_own) + 1u), 15u)] = reduce_buf[lane];
    }
    uint d = wgsl_rem(lane, HEAD_DIM);
    uint part = wgsl_div(lane, HEAD_DIM);
    uint parts = wgsl_div(WG_SIZE, HEAD_DIM);
    float[8] acc = float[8](0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for (uint i_4 = part; i_4 < count; i_4 += parts) {
        uint slot_1 = wgsl_rem((begin + i_4), params.capacity);
        float v_1 = load_v(((((slot_1 * params.n_kv_heads) + kv_head) * HEAD_DIM) + d));
        for (uint g_4 = 0u; g_4 < GROUP; g_4++) {
            acc[g_4] += scores[min(((g_4 * SPLIT_KEYS) + i_4), ((GROUP * SPLIT_KEYS) - 1u))] * v_1;
        }
    }
    for (uint g_5 = 0u; g_5 < GROUP; g_5++) {
        value_parts[min(((((part * GROUP) + g_5) * HEAD_DIM) + d), ((WG_SIZE * GROUP) - 1u))] = acc[g_5];
    }
    memoryBarrierShared();
    barrier();
    for (uint o = lane; o < (heads_here * HEAD_DIM); o += WG_SIZE) {
        uint g_6 = wgsl_div(o, HEAD_DIM);
        uint dim = wgsl_rem(o, HEAD_DIM);
        float total = 0.0;
        for (uint p_1 = 0u; p_1 < parts; p_1++) {
            total += value_parts[min(((((p_1 * GROUP) + g_6) * HEAD_DIM) + dim), ((WG_SIZE * GROUP) - 1u))];
        }
        uint head = head0 + g_6;
        float hm = head_stats[min((2u * g_6), 15u)];
        float hl = head_stats[min(((2u * g_6) + 1u), 15u)];
        if (params.finalize == 1u) {
            float sink = sinks[min(head, (uint(sinks.length()) - 1u))];
            float big = max(hm, sink);
            float keep = exp((hm - big));
            out_1[min(((params.out_offset + (head * HEAD_DIM)) + dim), (uint(out_1.length()) - 1u))] = (total * keep) / ((hl * keep) + exp((sink - big)));
        } else {
            uint out_base = ((head * params.n_splits) + split) * (HEAD_DIM + 2u);
            partials[min(((out_base + 2u) + dim), (uint(partials.length()) - 1u))] = total;
            if (dim == 0u) {
                partials[min(out_base, (uint(partials.length()) - 1u))] = hm;
                partials[min((out_base + 1u), (uint(partials.length()) - 1u))] = hl;
            }
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
