#version 310 es
precision highp float;
precision highp int;

#ifndef OVERRIDE_WG_SIZE
#define OVERRIDE_WG_SIZE 64
#endif
const uint WG_SIZE = uint(OVERRIDE_WG_SIZE);

layout(local_size_x = OVERRIDE_WG_SIZE, local_size_y = 1, local_size_z = 1) in;

struct Params {
    uint n_tokens;
    uint k;
    uint rows;
    uint y_stride;
    uint n_experts;
    uint pad0;
    uint pad1;
    uint pad2;
};

layout(std140, binding = 0) uniform params_block {
    uint n_tokens;
    uint k;
    uint rows;
    uint y_stride;
    uint n_experts;
    uint pad0;
    uint pad1;
    uint pad2;
} params;
layout(std430, binding = 1) restrict readonly buffer slot_out_block {
    float slot_out[];
};
layout(std430, binding = 2) restrict readonly buffer ids_block {
    uint ids[];
};
layout(std430, binding = 3) restrict buffer y_block {
    float y[];
};

void main() {
    uvec3 gid = gl_GlobalInvocationID;
    uint r = gid.x;
    uint t = gid.y;
    if ((r >= params.rows) || (t >= params.n_tokens)) {
        return;
    }
    float sum = 0.0;
    for (uint j = 0u; j < params.k; j++) {
        uint slot = (t * params.k) + j;
        if (ids[min(slot, (uint(ids.length()) - 1u))] < params.n_experts) {
            sum += slot_out[min(((slot * params.rows) + r), (uint(slot_out.length()) - 1u))];
        }
    }
    uint o = (t * params.y_stride) + r;
    y[min(o, (uint(y.length()) - 1u))] = y[min(o, (uint(y.length()) - 1u))] + sum;
}
