#version 310 es
#extension GL_KHR_shader_subgroup_arithmetic : enable
#extension GL_KHR_shader_subgroup_basic : enable
precision highp float;
precision highp int;

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

layout(std430, binding = 0) restrict readonly buffer x_block {
    float x[];
};
layout(std430, binding = 1) restrict buffer y_block {
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

void main() {
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
