#version 310 es
precision highp float;
precision highp int;

layout(local_size_x = 1, local_size_y = 1, local_size_z = 1) in;

struct Light {
    vec3 position;
    float intensity;
    vec3 color;
};

struct Scene {
    uint count;
    vec4 ambient;
    Light[4] lights;
};

layout(std430, binding = 0) restrict readonly buffer scene_block {
    uint count;
    vec4 ambient;
    Light[4] lights;
} scene;
layout(std430, binding = 1) restrict buffer stream_block {
    uint length_1;
    float values[];
} stream;

void accumulate(inout vec3 sum, Light light) {
    sum += light.color * light.intensity;
}

void swap(inout float a, inout float b) {
    float t = a;
    a = b;
    b = t;
}

void main() {
    vec3 total = vec3(0.0);
    for (uint i = 0u; i < min(scene.count, 4u); i++) {
        accumulate(total, scene.lights[min(i, 3u)]);
    }
    float[2] pair = float[2](total.x, total.y);
    pair[0u] += 1.0;
    swap(pair[0u], pair[1u]);
    Scene copy = Scene(scene.count, scene.ambient, scene.lights);
    stream.values[0u] = (pair[0u] + pair[1u]) + copy.ambient.w;
    stream.length_1 = uint(stream.values.length());
}
