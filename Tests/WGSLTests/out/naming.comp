#version 310 es
precision highp float;
precision highp int;

layout(local_size_x = 64, local_size_y = 1, local_size_z = 1) in;

struct sample_1 {
    float input_1;
    float output_1;
    uint long_1;
};

layout(std430, binding = 0) restrict buffer buffer_block {
    sample_1 buffer_1[];
};
shared float[64] flat_1;
float double_1 = 1.5;

float mix_1(float a, float b) {
    return (a * 0.25) + (b * 0.75);
}

float texture_1(float value) {
    float barrier_1 = value * 2.0;
    return barrier_1;
}

void main() {
    uint lid = gl_LocalInvocationIndex;
    float a_b = buffer_1[min(lid, (uint(buffer_1.length()) - 1u))].input_1;
    float output_1 = mix_1(a_b, texture_1(buffer_1[min(lid, (uint(buffer_1.length()) - 1u))].output_1)) + double_1;
    {
        float output_2 = 2.0;
        flat_1[lid] = output_2;
    }
    memoryBarrierShared();
    barrier();
    output_1 += flat_1[min(((lid + 1u) % 64u), 63u)];
    buffer_1[min(lid, (uint(buffer_1.length()) - 1u))] = sample_1(a_b, output_1, (buffer_1[min(lid, (uint(buffer_1.length()) - 1u))].long_1 + 1u));
}
