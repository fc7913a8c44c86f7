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
    uint k;
    uint rows;
    uint y_stride;
    uint n_experts;
    uint pad0;
    uint pad1;
    uint pad2;
};

layout(std140, binding = 0) uniform params_block {
    uint n_tokens;
    uint k;
    uint rows;
    uint y_stride;
    uint n_experts;
    uint pad0;
    uint pad1;
    uint pad2;
} params;
layout(std430, binding = 1) CHAINED_COHERENT restrict readonly buffer slot_out_block {
    float slot_out[];
};
layout(std430, binding = 2) CHAINED_COHERENT restrict readonly buffer ids_block {
    uint ids[];
};
layout(std430, binding = 3) CHAINED_COHERENT restrict buffer y_block {
    float y[];
};

#if defined(CHAINED_LAUNCH)
void chained_launch_body() {
#else
void main() {
#endif
    uvec3 gid = gl_GlobalInvocationID;
    uint r = gid.x;
    uint t = gid.y;
    if ((r >= params.rows) || (t >= params.n_tokens)) {
        return;
    }
    float sum = 0.0;
    for (uint j = 0u; j < params.k; j++) {
        uint slot = (t * params.k) + j;
        if (ids[min(slot, (uint(ids.length()) - 1u))] < params.n_experts) {
            sum += slot_out[min(((slot * params.rows) + r), (uint(slot_out.length()) - 1u))];
        }
    }
    uint o = (t * params.y_stride) + r;
    y[min(o, (uint(y.length()) - 1u))] = y[min(o, (uint(y.length()) - 1u))] + sum;
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
