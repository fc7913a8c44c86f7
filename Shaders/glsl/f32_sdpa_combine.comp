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

layout(local_size_x = OVERRIDE_WG_SIZE, local_size_y = 1, local_size_z = 1) in;

struct Params {
    uint n_heads;
    uint n_splits;
    uint out_offset;
    uint pad0;
};

layout(std140, binding = 0) uniform params_block {
    uint n_heads;
    uint n_splits;
    uint out_offset;
    uint pad0;
} params;
layout(std430, binding = 1) restrict readonly buffer partials_block {
    float partials[];
};
layout(std430, binding = 2) restrict readonly buffer sinks_block {
    float sinks[];
};
layout(std430, binding = 3) restrict buffer out_block {
    float out_1[];
};

void main() {
    uvec3 lid = gl_LocalInvocationID;
    uvec3 wid = gl_WorkGroupID;
    uint head = wid.x;
    uint record = HEAD_DIM + 2u;
    uint base = (head * params.n_splits) * record;
    float sink = sinks[min(head, (uint(sinks.length()) - 1u))];
    float m = sink;
    for (uint s = 0u; s < params.n_splits; s++) {
        m = max(m, partials[min((base + (s * record)), (uint(partials.length()) - 1u))]);
    }
    float total = exp((sink - m));
    for (uint s_1 = 0u; s_1 < params.n_splits; s_1++) {
        uint r = base + (s_1 * record);
        total += partials[min((r + 1u), (uint(partials.length()) - 1u))] * exp((partials[min(r, (uint(partials.length()) - 1u))] - m));
    }
    for (uint d = lid.x; d < HEAD_DIM; d += WG_SIZE) {
        float acc = 0.0;
        for (uint s_2 = 0u; s_2 < params.n_splits; s_2++) {
            uint r_1 = base + (s_2 * record);
            acc += partials[min(((r_1 + 2u) + d), (uint(partials.length()) - 1u))] * exp((partials[min(r_1, (uint(partials.length()) - 1u))] - m));
        }
        out_1[min(((params.out_offset + (head * HEAD_DIM)) + d), (uint(out_1.length()) - 1u))] = acc / total;
    }
}
