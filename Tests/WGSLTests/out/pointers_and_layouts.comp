#version 310 es
precision highp float;
precision highp int;

#if defined(CHAINED_LAUNCH)
#define CHAINED_COHERENT coherent
#else
#define CHAINED_COHERENT
#endif

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

layout(std430, binding = 0) CHAINED_COHERENT restrict readonly buffer scene_block {
    uint count;
    vec4 ambient;
    Light[4] lights;
} scene;
layout(std430, binding = 1) CHAINED_COHERENT restrict buffer stream_block {
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

#if defined(CHAINED_LAUNCH)
void chained_launch_body() {
#else
void main() {
#endif
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

#if defined(CHAINED_LAUNCH)
layout(std430, binding = CHAINED_LAUNCH_BINDING) coherent restrict buffer chained_launch_done_block {
    uint chained_launch_done[];
};
layout(std140, binding = CHAINED_LAUNCH_UNIFORM) uniform chained_launch_step_block {
    uvec4 chained_launch_step;
};
void main() {
    if (gl_LocalInvocationIndex == 0u) {
        bool chained_launch_waiting = chained_launch_step.y != 0u;
        for (uint chained_launch_round = 0u; chained_launch_waiting && chained_launch_round < uint(CHAINED_LAUNCH_ROUNDS); chained_launch_round++) {
            for (uint chained_launch_spin = 0u; chained_launch_waiting && chained_launch_spin < 1024u; chained_launch_spin++) {
                chained_launch_waiting = atomicOr(chained_launch_done[chained_launch_step.x], 0u) < chained_launch_step.y;
            }
        }
        if (chained_launch_waiting) {
            atomicOr(chained_launch_done[0], 1u);
        }
        if (gl_WorkGroupID == uvec3(0u)) {
            atomicExchange(chained_launch_done[chained_launch_step.w], 0u);
        }
    }
    barrier();
    chained_launch_body();
    memoryBarrierBuffer();
    barrier();
    if (gl_LocalInvocationIndex == 0u) {
        atomicAdd(chained_launch_done[chained_launch_step.z], 1u);
    }
}
#endif
