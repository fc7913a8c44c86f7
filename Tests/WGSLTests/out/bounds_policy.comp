#version 310 es
precision highp float;
precision highp int;

#ifndef OVERRIDE_WG
#define OVERRIDE_WG 64
#endif
const uint WG = uint(OVERRIDE_WG);

layout(local_size_x = OVERRIDE_WG, local_size_y = 1, local_size_z = 1) in;

const uint TILE = 16u;

layout(std430, binding = 0) restrict buffer data_block {
    float data[];
};
shared float[WG] partial;
shared float[8] rows;
shared float[16] tile;

void main() {
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
