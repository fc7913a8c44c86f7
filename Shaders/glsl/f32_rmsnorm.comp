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
    uint n;
    uint n_tokens;
    uint x_stride;
    uint y_stride;
    float eps;
    uint x_offset;
    uint pad1;
    uint pad2;
};

layout(std140, binding = 0) uniform params_block {
    uint n;
    uint n_tokens;
    uint x_stride;
    uint y_stride;
    float eps;
    uint x_offset;
    uint pad1;
    uint pad2;
} params;
layout(std430, binding = 1) CHAINED_COHERENT restrict readonly buffer x_block {
    float x[];
};
layout(std430, binding = 2) CHAINED_COHERENT restrict readonly buffer weight_block {
    float weight[];
};
layout(std430, binding = 3) CHAINED_COHERENT restrict buffer y_block {
    float y[];
};
shared float[WG_SIZE] partial_sums;

#if defined(CHAINED_LAUNCH)
void chained_launch_body() {
#else
void main() {
#endif
    uvec3 lid = gl_LocalInvocationID;
    uvec3 wid = gl_WorkGroupID;
    uint t = wid.x;
    uint lane = lid.x;
    uint x_base = params.x_offset + (t * params.x_stride);
    uint y_base = t * params.y_stride;
    float sum = 0.0;
    for (uint i = lane; i < params.n; i += WG_SIZE) {
        float v = x[min((x_base + i), (uint(x.length()) - 1u))];
        sum += v * v;
    }
    partial_sums[lane] = sum;
    memoryBarrierShared();
    barrier();
    for (uint stride = WG_SIZE / 2u; stride > 0u; stride = stride / 2u) {
        if (lane < stride) {
            partial_sums[lane] = partial_sums[lane] + partial_sums[min((lane + stride), (WG_SIZE - 1u))];
        }
        memoryBarrierShared();
        barrier();
    }
    float scale = inversesqrt(((partial_sums[0u] / float(params.n)) + params.eps));
    for (uint i_1 = lane; i_1 < params.n; i_1 += WG_SIZE) {
        y[min((y_base + i_1), (uint(y.length()) - 1u))] = (x[min((x_base + i_1), (uint(x.length()) - 1u))] * scale) * weight[min(i_1, (uint(weight.length()) - 1u))];
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
