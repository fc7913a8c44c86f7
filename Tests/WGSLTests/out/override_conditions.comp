#version 310 es
#extension GL_KHR_shader_subgroup_arithmetic : enable
#extension GL_KHR_shader_subgroup_basic : enable
precision highp float;
precision highp int;

#if defined(CHAINED_LAUNCH)
#define CHAINED_COHERENT coherent
#else
#define CHAINED_COHERENT
#endif

#ifndef OVERRIDE_SUBGROUPS
#define OVERRIDE_SUBGROUPS 0
#endif
const uint SUBGROUPS = uint(OVERRIDE_SUBGROUPS);
#ifndef OVERRIDE_MODE
#define OVERRIDE_MODE 0
#endif
const uint MODE = uint(OVERRIDE_MODE);
#ifndef OVERRIDE_WG
#define OVERRIDE_WG 64
#endif
const uint WG = uint(OVERRIDE_WG);
#ifndef OVERRIDE_SCALE
#define OVERRIDE_SCALE 1.0
#endif
const float SCALE = float(OVERRIDE_SCALE);
#ifndef OVERRIDE_CLAMP
#define OVERRIDE_CLAMP false
#endif
const bool CLAMP = bool(OVERRIDE_CLAMP);

layout(local_size_x = OVERRIDE_WG, local_size_y = 1, local_size_z = 1) in;

const uint MODE_SUM = 0u;
const uint MODE_MAX = 1u;

layout(std430, binding = 0) CHAINED_COHERENT restrict readonly buffer x_block {
    float x[];
};
layout(std430, binding = 1) CHAINED_COHERENT restrict buffer y_block {
    float y[];
};
shared float[WG] partial;

float combine(float a, float b) {
    #if (OVERRIDE_MODE == 0)
    return a + b;
    #elif (OVERRIDE_MODE == 1)
    return max(a, b);
    #endif
    return min(a, b);
}

#if defined(CHAINED_LAUNCH)
void chained_launch_body() {
#else
void main() {
#endif
    uint lid = gl_LocalInvocationIndex;
    uvec3 wid = gl_WorkGroupID;
    float v = x[min(((wid.x * WG) + lid), (uint(x.length()) - 1u))] * SCALE;
    float total = 0.0;
    #if ((OVERRIDE_SUBGROUPS == 1) && (OVERRIDE_MODE == 0))
    total = subgroupAdd(v);
    #else
    partial[lid] = v;
    memoryBarrierShared();
    barrier();
    for (uint stride = WG / 2u; stride > 0u; stride = stride / 2u) {
        if (lid < stride) {
            partial[lid] = combine(partial[lid], partial[min((lid + stride), (WG - 1u))]);
        }
        memoryBarrierShared();
        barrier();
    }
    total = partial[0u];
    #endif
    if (CLAMP) {
        total = clamp(total, -1.0, 1.0);
    }
    if ((lid == 0u) && (!(WG < 32u))) {
        y[min(wid.x, (uint(y.length()) - 1u))] = total;
    } else if (SCALE > 2.0) {
        y[min(wid.x, (uint(y.length()) - 1u))] = 0.0;
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
