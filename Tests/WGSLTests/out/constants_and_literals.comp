#version 310 es
precision highp float;
precision highp int;

#if defined(CHAINED_LAUNCH)
#define CHAINED_COHERENT coherent
#else
#define CHAINED_COHERENT
#endif

layout(local_size_x = 16, local_size_y = 1, local_size_z = 1) in;

const int BLOCK = 32;
const int HALF_BLOCK = 16;
const uint MASK = 255u;
const float SCALE = 0.125;
const uint BIG = 2147483648u;
const int MIN_I32 = (-2147483647 - 1);
const float[8] FP4_VALUES = float[8](0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0);
const vec3 ORIGIN = vec3(1.0, 2.0, 3.0);

layout(std430, binding = 0) CHAINED_COHERENT restrict buffer out_block {
    float out_1[];
};

#if defined(CHAINED_LAUNCH)
void chained_launch_body() {
#else
void main() {
#endif
    uint lid = gl_LocalInvocationIndex;
    uint index = lid & MASK;
    float scaled = ((float(index) * 0.125) + FP4_VALUES[min((index % 8u), 7u)]) + 2.0;
    uint wide = (128u + (BIG / 2u)) + (index >> 3u);
    int negative = (MIN_I32 + int(index)) - 16;
    float e = 103.565;
    out_1[min(index, (uint(out_1.length()) - 1u))] = ((((scaled + float(wide)) + float(negative)) + e) + 32.0) + 4.0;
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
