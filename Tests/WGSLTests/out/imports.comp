#version 310 es
precision highp float;
precision highp int;

#ifndef OVERRIDE_SCALE
#define OVERRIDE_SCALE 2.0
#endif
const float SCALE = float(OVERRIDE_SCALE);

layout(local_size_x = 64, local_size_y = 1, local_size_z = 1) in;

struct Pair {
    float a;
    float b;
};

layout(std430, binding = 0) restrict buffer values_block {
    float values[];
};

float factor() {
    return SCALE * 0.5;
}

float scaled(float v) {
    return v * factor();
}

float pair_sum(Pair p) {
    return p.a + p.b;
}

void main() {
    uvec3 gid = gl_GlobalInvocationID;
    Pair p = Pair(values[min(gid.x, (uint(values.length()) - 1u))], 1.0);
    values[min(gid.x, (uint(values.length()) - 1u))] = scaled(pair_sum(p));
}
