#version 310 es
#extension GL_EXT_shader_16bit_storage : require
#if defined(GL_NV_gpu_shader5)
#extension GL_NV_gpu_shader5 : require
#else
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#endif
precision highp float;
precision highp int;

layout(local_size_x = 64, local_size_y = 1, local_size_z = 1) in;

layout(std430, binding = 0) restrict readonly buffer halves_block {
    f16vec4 halves[];
};
layout(std430, binding = 1) restrict buffer sums_block {
    float sums[];
};

void main() {
    uvec3 gid = gl_GlobalInvocationID;
    f16vec4 v = halves[min(gid.x, (uint(halves.length()) - 1u))];
    f16vec4 scaled = (v * 0.5hf) + f16vec4(1.0hf);
    float16_t total = ((scaled.x + scaled.y) + scaled.z) + scaled.w;
    sums[min(gid.x, (uint(sums.length()) - 1u))] = float(total) + float(max(v.x, -2.0hf));
}
