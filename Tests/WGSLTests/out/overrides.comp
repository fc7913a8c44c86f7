#version 310 es
precision highp float;
precision highp int;

#if defined(CHAINED_LAUNCH)
#define CHAINED_COHERENT coherent
#else
#define CHAINED_COHERENT
#endif

#ifndef OVERRIDE_TILE_X
#define OVERRIDE_TILE_X 16
#endif
const uint TILE_X = uint(OVERRIDE_TILE_X);
#ifndef OVERRIDE_TILE_Y
#define OVERRIDE_TILE_Y 4
#endif
const uint TILE_Y = uint(OVERRIDE_TILE_Y);
#ifndef OVERRIDE_TILE_AREA
#define OVERRIDE_TILE_AREA (TILE_X * TILE_Y)
#endif
const uint TILE_AREA = uint(OVERRIDE_TILE_AREA);
#ifndef OVERRIDE_EPSILON
#define OVERRIDE_EPSILON 1e-05
#endif
const float EPSILON = float(OVERRIDE_EPSILON);
#ifndef OVERRIDE_USE_BIAS
#define OVERRIDE_USE_BIAS true
#endif
const bool USE_BIAS = bool(OVERRIDE_USE_BIAS);
#ifndef OVERRIDE_OFFSET
#define OVERRIDE_OFFSET -3
#endif
const int OFFSET = int(OVERRIDE_OFFSET);

layout(local_size_x = OVERRIDE_TILE_X, local_size_y = OVERRIDE_TILE_Y, local_size_z = 1) in;

layout(std430, binding = 0) CHAINED_COHERENT restrict buffer data_block {
    float data[];
};
shared float[TILE_AREA] tile;

#if defined(CHAINED_LAUNCH)
void chained_launch_body() {
#else
void main() {
#endif
    uvec3 lid = gl_LocalInvocationID;
    uint index = (lid.y * TILE_X) + lid.x;
    tile[min(index, (TILE_AREA - 1u))] = data[min(index, (uint(data.length()) - 1u))] + EPSILON;
    memoryBarrierShared();
    barrier();
    float value = tile[min(((TILE_AREA - 1u) - index), (TILE_AREA - 1u))];
    if (USE_BIAS) {
        value += float(OFFSET);
    }
    data[min(index, (uint(data.length()) - 1u))] = value;
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
