#version 310 es
#extension GL_EXT_shader_16bit_storage : require
#if defined(GL_NV_gpu_shader5)
#extension GL_NV_gpu_shader5 : require
#else
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#endif
precision highp float;
precision highp int;

#if defined(CHAINED_LAUNCH)
#define CHAINED_COHERENT coherent
#else
#define CHAINED_COHERENT
#endif

layout(local_size_x = 64, local_size_y = 1, local_size_z = 1) in;

layout(std430, binding = 0) CHAINED_COHERENT restrict readonly buffer halves_block {
    f16vec4 halves[];
};
layout(std430, binding = 1) CHAINED_COHERENT restrict buffer sums_block {
    float sums[];
};

#if defined(CHAINED_LAUNCH)
void chained_launch_body() {
#else
void main() {
#endif
    uvec3 gid = gl_GlobalInvocationID;
    f16vec4 v = halves[min(gid.x, (uint(halves.length()) - 1u))];
    f16vec4 scaled = (v * 0.5hf) + f16vec4(1.0hf);
    float16_t total = ((scaled.x + scaled.y) + scaled.z) + scaled.w;
    sums[min(gid.x, (uint(sums.length()) - 1u))] = float(total) + float(max(v.x, -2.0hf));
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
