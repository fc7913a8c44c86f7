#version 310 es
precision highp float;
precision highp int;

#if defined(CHAINED_LAUNCH)
#define CHAINED_COHERENT coherent
#else
#define CHAINED_COHERENT
#endif

layout(local_size_x = 64, local_size_y = 1, local_size_z = 1) in;

struct sample_1 {
    float input_1;
    float output_1;
    uint long_1;
};

layout(std430, binding = 0) CHAINED_COHERENT restrict buffer buffer_block {
    sample_1 buffer_1[];
};
shared float[64] flat_1;
float double_1 = 1.5;

float mix_1(float a, float b) {
    return (a * 0.25) + (b * 0.75);
}

float texture_1(float value) {
    float barrier_1 = value * 2.0;
    return barrier_1;
}

#if defined(CHAINED_LAUNCH)
void chained_launch_body() {
#else
void main() {
#endif
    uint lid = gl_LocalInvocationIndex;
    float a_b = buffer_1[min(lid, (uint(buffer_1.length()) - 1u))].input_1;
    float output_1 = mix_1(a_b, texture_1(buffer_1[min(lid, (uint(buffer_1.length()) - 1u))].output_1)) + double_1;
    {
        float output_2 = 2.0;
        flat_1[lid] = output_2;
    }
    memoryBarrierShared();
    barrier();
    output_1 += flat_1[min(((lid + 1u) % 64u), 63u)];
    buffer_1[min(lid, (uint(buffer_1.length()) - 1u))] = sample_1(a_b, output_1, (buffer_1[min(lid, (uint(buffer_1.length()) - 1u))].long_1 + 1u));
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
