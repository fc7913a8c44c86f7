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
layout(std430, binding = 1) CHAINED_COHERENT restrict readonly buffer partials_block {
    float partials[];
};
layout(std430, binding = 2) CHAINED_COHERENT restrict readonly buffer sinks_block {
    float sinks[];
};
layout(std430, binding = 3) CHAINED_COHERENT restrict buffer out_block {
    float out_1[];
};

#if defined(CHAINED_LAUNCH)
void chained_launch_body() {
#else
void main() {
#endif
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
