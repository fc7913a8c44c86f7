#version 310 es
precision highp float;
precision highp int;

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

layout(std430, binding = 0) restrict buffer data_block {
    float data[];
};
shared float[TILE_AREA] tile;

void main() {
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
