#version 310 es
precision highp float;
precision highp int;

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
layout(std430, binding = 1) restrict buffer points_block {
    vec4 points[];
};
layout(std430, binding = 2) restrict readonly buffer rotations_block {
    mat3 rotations[];
};

void main() {
    uvec3 gid = gl_GlobalInvocationID;
    vec4 p = camera.view * points[min(gid.x, (uint(points.length()) - 1u))];
    mat3 r = rotations[min((gid.x % 4u), (uint(rotations.length()) - 1u))];
    mat2 m2 = mat2(vec2(1.0, 0.0), vec2(0.0, 1.0));
    mat3 m3 = mat3(vec3(1.0, 2.0, 3.0), vec3(0.0, 1.0, 4.0), vec3(5.0, 6.0, 0.0));
    vec3 rotated = ((r * m3) * p.xyz) + (transpose(r)[1u] * determinant(m3));
    vec2 q = vec2(p.w, 1.0) * m2;
    points[min(gid.x, (uint(points.length()) - 1u))] = vec4((rotated * camera.tint), ((q.x * camera.gain) + camera.view[3u].w));
}
