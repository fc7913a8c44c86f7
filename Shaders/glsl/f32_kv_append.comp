#version 310 es
precision highp float;
precision highp int;

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
layout(std430, binding = 1) restrict readonly buffer k_src_block {
    float k_src[];
};
layout(std430, binding = 2) restrict readonly buffer v_src_block {
    float v_src[];
};
layout(std430, binding = 3) restrict buffer k_cache_block {
    uint k_cache[];
};
layout(std430, binding = 4) restrict buffer v_cache_block {
    uint v_cache[];
};

void main() {
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
