#version 310 es
precision highp float;
precision highp int;

#if defined(CHAINED_LAUNCH)
#define CHAINED_COHERENT coherent
#else
#define CHAINED_COHERENT
#endif

layout(local_size_x = 64, local_size_y = 1, local_size_z = 1) in;

struct Camera {
    mat4 view;
    vec3 tint;
    float gain;
};

layout(std140, binding = 0) uniform camera_block {
    mat4 view;
    vec3 tint;
    float gain;
} camera;
layout(std430, binding = 1) CHAINED_COHERENT restrict buffer points_block {
    vec4 points[];
};
layout(std430, binding = 2) CHAINED_COHERENT restrict readonly buffer rotations_block {
    mat3 rotations[];
};

#if defined(CHAINED_LAUNCH)
void chained_launch_body() {
#else
void main() {
#endif
    uvec3 gid = gl_GlobalInvocationID;
    vec4 p = camera.view * points[min(gid.x, (uint(points.length()) - 1u))];
    mat3 r = rotations[min((gid.x % 4u), (uint(rotations.length()) - 1u))];
    mat2 m2 = mat2(vec2(1.0, 0.0), vec2(0.0, 1.0));
    mat3 m3 = mat3(vec3(1.0, 2.0, 3.0), vec3(0.0, 1.0, 4.0), vec3(5.0, 6.0, 0.0));
    vec3 rotated = ((r * m3) * p.xyz) + (transpose(r)[1u] * determinant(m3));
    vec2 q = vec2(p.w, 1.0) * m2;
    points[min(gid.x, (uint(points.length()) - 1u))] = vec4((rotated * camera.tint), ((q.x * camera.gain) + camera.view[3u].w));
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
