#version 310 es
precision highp float;
precision highp int;

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
layout(std430, binding = 1) restrict readonly buffer q_block {
    float q[];
};
layout(std430, binding = 2) restrict readonly buffer k_cache_block {
    uint k_cache[];
};
layout(std430, binding = 3) restrict readonly buffer v_cache_block {
    uint v_cache[];
};
layout(std430, binding = 4) restrict buffer partials_block {
    float partials[];
};
layout(std430, binding = 5) restrict readonly buffer sinks_block {
    float sinks[];
};
layout(std430, binding = 6) restrict buffer out_block {
    float out_1[];
};
shared float[HEAD_DIM] q_shared;
shared float[SPLIT_KEYS] scores;
shared float[WG_SIZE] reduce_buf;

float load_k(uint i) {
    if (KV_HALF == 1u) {
        vec2 pair = unpackHalf2x16(k_cache[min((i / 2u), (uint(k_cache.length()) - 1u))]);
        return ((i & 1u) == 1u) ? pair.y : pair.x;
    }
    return uintBitsToFloat(k_cache[min(i, (uint(k_cache.length()) - 1u))]);
}

float load_v(uint i) {
    if (KV_HALF == 1u) {
        vec2 pair = unpackHalf2x16(v_cache[min((i / 2u), (uint(v_cache.length()) - 1u))]);
        return ((i & 1u) == 1u) ? pair.y : pair.x;
    }
    return uintBitsToFloat(v_cache[min(i, (uint(v_cache.length()) - 1u))]);
}

void main() {
    uvec3 lid = gl_LocalInvocationID;
    uvec3 wid = gl_WorkGroupID;
    uint split = wid.x;
    uint head = wid.y;
    uint lane = lid.x;
    uint kv_head = wgsl_div(head, wgsl_div(params.n_heads, params.n_kv_heads));
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
    for (uint d = lane; d < HEAD_DIM; d += WG_SIZE) {
        q_shared[d] = q[min(((params.q_offset + (head * HEAD_DIM)) + d), (uint(q.length()) - 1u))];
    }
    memoryBarrierShared();
    barrier();
    float local_max = NEG_BIG;
    for (uint i = lane; i < count; i += WG_SIZE) {
        uint slot = wgsl_rem((begin + i), params.capacity);
        uint base = ((slot * params.n_kv_heads) + kv_head) * HEAD_DIM;
        float s = 0.0;
        for (uint d_1 = 0u; d_1 < HEAD_DIM; d_1++) {
            s += q_shared[d_1] * load_k((base + d_1));
        }
        s = s * params.scale;
        scores[min(i, (SPLIT_KEYS - 1u))] = s;
        local_max = max(local_max, s);
    }
    reduce_buf[lane] = local_max;
    memoryBarrierShared();
    barrier();
    for (uint stride = WG_SIZE / 2u; stride > 0u; stride = stride / 2u) {
        if (lane < stride) {
            reduce_buf[lane] = max(reduce_buf[lane], reduce_buf[min((lane + stride), (WG_SIZE - 1u))]);
        }
        memoryBarrierShared();
        barrier();
    }
    float m = reduce_buf[0u];
    memoryBarrierShared();
    barrier();
    float local_sum = 0.0;
    for (uint i_1 = lane; i_1 < count; i_1 += WG_SIZE) {
        float p = exp((scores[min(i_1, (SPLIT_KEYS - 1u))] - m));
        scores[min(i_1, (SPLIT_KEYS - 1u))] = p;
        local_sum += p;
    }
    reduce_buf[lane] = local_sum;
    memoryBarrierShared();
    barrier();
    for (uint stride_1 = WG_SIZE / 2u; stride_1 > 0u; stride_1 = stride_1 / 2u) {
        if (lane < stride_1) {
            reduce_buf[lane] = reduce_buf[lane] + reduce_buf[min((lane + stride_1), (WG_SIZE - 1u))];
        }
        memoryBarrierShared();
        barrier();
    }
    float l = reduce_buf[0u];
    if (params.finalize == 1u) {
        float sink = sinks[min(head, (uint(sinks.length()) - 1u))];
        float big = max(m, sink);
        float keep = exp((m - big));
        float norm = keep / ((l * keep) + exp((sink - big)));
        for (uint d_2 = lane; d_2 < HEAD_DIM; d_2 += WG_SIZE) {
            float acc = 0.0;
            for (uint i_2 = 0u; i_2 < count; i_2++) {
                uint slot_1 = wgsl_rem((begin + i_2), params.capacity);
                acc += scores[min(i_2, (SPLIT_KEYS - 1u))] * load_v(((((slot_1 * params.n_kv_heads) + kv_head) * HEAD_DIM) + d_2));
            }
            out_1[min(((params.out_offset + (head * HEAD_DIM)) + d_2), (uint(out_1.length()) - 1u))] = acc * norm;
        }
        return;
    }
    uint out_base = ((head * params.n_splits) + split) * (HEAD_DIM + 2u);
    for (uint d_3 = lane; d_3 < HEAD_DIM; d_3 += WG_SIZE) {
        float acc_1 = 0.0;
        for (uint i_3 = 0u; i_3 < count; i_3++) {
            uint slot_2 = wgsl_rem((begin + i_3), params.capacity);
            acc_1 += scores[min(i_3, (SPLIT_KEYS - 1u))] * load_v(((((slot_2 * params.n_kv_heads) + kv_head) * HEAD_DIM) + d_3));
        }
        partials[min(((out_base + 2u) + d_3), (uint(partials.length()) - 1u))] = acc_1;
    }
    if (lane == 0u) {
        partials[min(out_base, (uint(partials.length()) - 1u))] = m;
        partials[min((out_base + 1u), (uint(partials.length()) - 1u))] = l;
    }
}
