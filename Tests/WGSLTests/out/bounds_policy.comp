#version 310 es
precision highp float;
precision highp int;

#if defined(CHAINED_LAUNCH)
#define CHAINED_COHERENT coherent
#else
#define CHAINED_COHERENT
#endif

#ifndef OVERRIDE_WG
#define OVERRIDE_WG 64
#endif
const uint WG = uint(OVERRIDE_WG);

layout(local_size_x = OVERRIDE_WG, local_size_y = 1, local_size_z = 1) in;

const uint TILE = 16u;

layout(std430, binding = 0) CHAINED_COHERENT restrict buffer data_block {
    float data[];
};
shared float[WG] partial;
shared float[8] rows;
shared float[16] tile;

#if defined(CHAINED_LAUNCH)
void chained_launch_body() {
#else
void main() {
#endif
    uint lid = gl_LocalInvocationIndex;
    uvec3 local = gl_LocalInvocationID;
    uint me = lid;
    partial[me] = data[min(lid, (uint(data.length()) - 1u))];
    rows[min((local.x % 8u), 7u)] = 1.0;
    for (uint i = 0u; i < TILE; i++) {
        tile[i] = float(i);
    }
    for (uint j = lid; j < 8u; j += WG) {
        rows[j] += partial[min(j, (WG - 1u))];
    }
    for (uint k = 0u; k < TILE; k++) {
        k++;
        tile[min(k, 15u)] = 0.0;
    }
    for (int s = 0; s < 8; s++) {
        rows[min(uint(s), 7u)] = 2.0;
    }
    memoryBarrierShared();
    barrier();
    float sum = ((partial[local.x] + partial[min(local.y, (WG - 1u))]) + rows[min(lid, 7u)]) + tile[min((TILE - 1u), 15u)];
    vec4 v = vec4(1.0, 2.0, 3.0, 4.0);
    sum += v[min((lid % 4u), 3u)];
    data[min(lid, (uint(data.length()) - 1u))] = (sum + data[0u]) + data[min((uint(data.length()) - 1u), (uint(data.length()) - 1u))];
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
