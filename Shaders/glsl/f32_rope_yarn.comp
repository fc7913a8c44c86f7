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

layout(local_size_x = OVERRIDE_WG_SIZE, local_size_y = 1, local_size_z = 1) in;

struct Params {
    uint n_tokens;
    uint n_heads;
    uint head_dim;
    uint position0;
    uint stride;
    uint offset;
    float concentration;
    uint append_from_head;
    uint capacity;
    uint kv_row_floats;
    uint value_delta;
    uint pad0;
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

layout(std140, binding = 0) uniform params_block {
    uint n_tokens;
    uint n_heads;
    uint head_dim;
    uint position0;
    uint stride;
    uint offset;
    float concentration;
    uint append_from_head;
    uint capacity;
    uint kv_row_floats;
    uint value_delta;
    uint pad0;
} params;
layout(std430, binding = 1) CHAINED_COHERENT restrict readonly buffer inv_freq_block {
    float inv_freq[];
};
layout(std430, binding = 2) CHAINED_COHERENT restrict buffer x_block {
    float x[];
};
layout(std430, binding = 3) CHAINED_COHERENT restrict buffer k_cache_block {
    uint k_cache[];
};
layout(std430, binding = 4) CHAINED_COHERENT restrict buffer v_cache_block {
    uint v_cache[];
};

#if defined(CHAINED_LAUNCH)
void chained_launch_body() {
#else
void main() {
#endif
    uvec3 gid = gl_GlobalInvocationID;
    uint half_dim = params.head_dim / 2u;
    uint t = gid.y;
    if ((gid.x >= (params.n_heads * half_dim)) || (t >= params.n_tokens)) {
        return;
    }
    uint head = wgsl_div(gid.x, half_dim);
    uint j = wgsl_rem(gid.x, half_dim);
    float angle = float((params.position0 + t)) * inv_freq[min(j, (uint(inv_freq.length()) - 1u))];
    float c = cos(angle) * params.concentration;
    float s = sin(angle) * params.concentration;
    uint i = (((t * params.stride) + params.offset) + (head * params.head_dim)) + j;
    float a = x[min(i, (uint(x.length()) - 1u))];
    float b = x[min((i + half_dim), (uint(x.length()) - 1u))];
    float ra = (a * c) - (b * s);
    float rb = (b * c) + (a * s);
    x[min(i, (uint(x.length()) - 1u))] = ra;
    x[min((i + half_dim), (uint(x.length()) - 1u))] = rb;
    if (head >= params.append_from_head) {
        uint slot = wgsl_rem((params.position0 + t), params.capacity);
        uint dst = ((slot * params.kv_row_floats) + ((head - params.append_from_head) * params.head_dim)) + j;
        k_cache[min(dst, (uint(k_cache.length()) - 1u))] = floatBitsToUint(ra);
        k_cache[min((dst + half_dim), (uint(k_cache.length()) - 1u))] = floatBitsToUint(rb);
        v_cache[min(dst, (uint(v_cache.length()) - 1u))] = floatBitsToUint(x[min((i + params.value_delta), (uint(x.length()) - 1u))]);
        v_cache[min((dst + half_dim), (uint(v_cache.length()) - 1u))] = floatBitsToUint(x[min(((i + half_dim) + params.value_delta), (uint(x.length()) - 1u))]);
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
