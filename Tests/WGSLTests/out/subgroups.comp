#version 310 es
#extension GL_KHR_shader_subgroup_arithmetic : enable
#extension GL_KHR_shader_subgroup_ballot : enable
#extension GL_KHR_shader_subgroup_basic : enable
#extension GL_KHR_shader_subgroup_shuffle : enable
#extension GL_KHR_shader_subgroup_shuffle_relative : enable
#extension GL_KHR_shader_subgroup_vote : enable
precision highp float;
precision highp int;

#if defined(CHAINED_LAUNCH)
#define CHAINED_COHERENT coherent
#else
#define CHAINED_COHERENT
#endif

layout(local_size_x = 64, local_size_y = 1, local_size_z = 1) in;

// WGSL integer remainder: truncated (the sign follows the dividend), x % 0 == 0.
uint wgsl_rem(uint a, uint b) {
    uint d = ((b == 0u) ? 1u : b);
    return a - (a / d) * d;
}

layout(std430, binding = 0) CHAINED_COHERENT restrict readonly buffer x_block {
    float x[];
};
layout(std430, binding = 1) CHAINED_COHERENT restrict buffer y_block {
    float y[];
};

#if defined(CHAINED_LAUNCH)
void chained_launch_body() {
#else
void main() {
#endif
    uvec3 gid = gl_GlobalInvocationID;
    uint lane = gl_SubgroupInvocationID;
    uint width = gl_SubgroupSize;
    float v = x[min(gid.x, (uint(x.length()) - 1u))];
    float total = (((subgroupAdd(v) + subgroupMax(v)) + subgroupMin(v)) + subgroupExclusiveAdd(v)) + subgroupInclusiveAdd(v);
    total += (subgroupBroadcast(v, 0u) + subgroupBroadcastFirst(v)) + subgroupShuffle(v, wgsl_rem((lane + 1u), width));
    total += (subgroupShuffleXor(v, 1u) + subgroupShuffleDown(v, 1u)) + subgroupShuffleUp(v, 1u);
    uvec4 ballot = subgroupBallot((v > 0.0));
    if ((subgroupElect() && subgroupAll((v >= 0.0))) && (!subgroupAny((v < -100.0)))) {
        total += float((uint(bitCount(ballot.x)) + ((subgroupAnd(lane) | subgroupOr(lane)) | subgroupXor(lane))));
    }
    y[min(gid.x, (uint(y.length()) - 1u))] = total;
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
