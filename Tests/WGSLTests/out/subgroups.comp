#version 310 es
#extension GL_KHR_shader_subgroup_arithmetic : enable
#extension GL_KHR_shader_subgroup_ballot : enable
#extension GL_KHR_shader_subgroup_basic : enable
#extension GL_KHR_shader_subgroup_shuffle : enable
#extension GL_KHR_shader_subgroup_shuffle_relative : enable
#extension GL_KHR_shader_subgroup_vote : enable
precision highp float;
precision highp int;

layout(local_size_x = 64, local_size_y = 1, local_size_z = 1) in;

// WGSL integer remainder: truncated (the sign follows the dividend), x % 0 == 0.
uint wgsl_rem(uint a, uint b) {
    uint d = ((b == 0u) ? 1u : b);
    return a - (a / d) * d;
}

layout(std430, binding = 0) restrict readonly buffer x_block {
    float x[];
};
layout(std430, binding = 1) restrict buffer y_block {
    float y[];
};

void main() {
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
