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
#ifndef OVERRIDE_KV_HALF
#define OVERRIDE_KV_HALF 0
#endif
const uint KV_HALF = uint(OVERRIDE_KV_HALF);

layout(local_size_x = OVERRIDE_WG_SIZE, local_size_y = 1, local_size_z = 1) in;

struct Params {
    uint n_tokens;
    uint row_floats;
    uint position0;
    uint capacity;
    uint src_stride;
    uint k_offset;
    uint v_offset;
    uint first_token;
};

// WGSL integer remainder: truncated (the sign follows the dividend), x % 0 == 0.
uint wgsl_rem(uint a, uint b) {
    uint d = ((b == 0u) ? 1u : b);
    return a - (a / d) * d;
}

layout(std140, binding = 0) uniform params_block {
    uint n_tokens;
    uint row_floats;
    uint position0;
    uint capacity;
    uint src_stride;
    uint k_offset;
    uint v_offset;
    uint first_token;
} params;
layout(std430, binding = 1) CHAINED_COHERENT restrict readonly buffer k_src_block {
    float k_src[];
};
layout(std430, binding = 2) CHAINED_COHERENT restrict readonly buffer v_src_block {
    float v_src[];
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
    uint i = gid.x;
    uint t = gid.y;
    uint row_words = (KV_HALF == 1u) ? (params.row_floats / 2u) : params.row_floats;
    if (((i >= row_words) || (t >= params.n_tokens)) || (t < params.first_token)) {
        return;
    }
    uint slot = wgsl_rem((params.position0 + t), params.capacity);
    uint dst = (slot * row_words) + i;
    uint src = t * params.src_stride;
    #if (OVERRIDE_KV_HALF == 1)
    uint k0 = (src + params.k_offset) + (2u * i);
    uint v0 = (src + params.v_offset) + (2u * i);
    k_cache[min(dst, (uint(k_cache.length()) - 1u))] = packHalf2x16(vec2(k_src[min(k0, (uint(k_src.length()) - 1u))], k_src[min((k0 + 1u), (uint(k_src.length()) - 1u))]));
    v_cache[min(dst, (uint(v_cache.length()) - 1u))] = packHalf2x16(vec2(v_src[min(v0, (uint(v_src.length()) - 1u))], v_src[min((v0 + 1u), (uint(v_src.length()) - 1u))]));
    #else
    k_cache[min(dst, (uint(k_cache.length()) - 1u))] = floatBitsToUint(k_src[min(((src + params.k_offset) + i), (uint(k_src.length()) - 1u))]);
    v_cache[min(dst, (uint(v_cache.length()) - 1u))] = floatBitsToUint(v_src[min(((src + params.v_offset) + i), (uint(v_src.length()) - 1u))]);
    #endif
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
