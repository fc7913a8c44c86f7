#version 310 es
precision highp float;
precision highp int;

layout(local_size_x = 16, local_size_y = 1, local_size_z = 1) in;

const int BLOCK = 32;
const int HALF_BLOCK = 16;
const uint MASK = 255u;
const float SCALE = 0.125;
const uint BIG = 2147483648u;
const int MIN_I32 = (-2147483647 - 1);
const float[8] FP4_VALUES = float[8](0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0);
const vec3 ORIGIN = vec3(1.0, 2.0, 3.0);

layout(std430, binding = 0) restrict buffer out_block {
    float out_1[];
};

void main() {
    uint lid = gl_LocalInvocationIndex;
    uint index = lid & MASK;
    float scaled = ((float(index) * 0.125) + FP4_VALUES[min((index % 8u), 7u)]) + 2.0;
    uint wide = (128u + (BIG / 2u)) + (index >> 3u);
    int negative = (MIN_I32 + int(index)) - 16;
    float e = 103.565;
    out_1[min(index, (uint(out_1.length()) - 1u))] = ((((scaled + float(wide)) + float(negative)) + e) + 32.0) + 4.0;
}
