#version 310 es
precision highp float;
precision highp int;

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
layout(std430, binding = 1) restrict readonly buffer x_block {
    float x[];
};
layout(std430, binding = 2) restrict readonly buffer weight_block {
    float weight[];
};
layout(std430, binding = 3) restrict buffer y_block {
    float y[];
};
shared float[WG_SIZE] partial_sums;

void main() {
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
