#version 310 es
precision highp float;
precision highp int;

#ifndef OVERRIDE_WG_SIZE
#define OVERRIDE_WG_SIZE 64
#endif
const uint WG_SIZE = uint(OVERRIDE_WG_SIZE);

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
    float k_cache[];
};
layout(std430, binding = 4) restrict buffer v_cache_block {
    float v_cache[];
};

void main() {
    uvec3 gid = gl_GlobalInvocationID;
    uint i = gid.x;
    uint t = gid.y;
    if (((i >= params.row_floats) || (t >= params.n_tokens)) || (t < params.first_token)) {
        return;
    }
    uint slot = wgsl_rem((params.position0 + t), params.capacity);
    uint dst = (slot * params.row_floats) + i;
    uint src = (t * params.src_stride) + i;
    k_cache[min(dst, (uint(k_cache.length()) - 1u))] = k_src[min((src + params.k_offset), (uint(k_src.length()) - 1u))];
    v_cache[min(dst, (uint(v_cache.length()) - 1u))] = v_src[min((src + params.v_offset), (uint(v_src.length()) - 1u))];
}
