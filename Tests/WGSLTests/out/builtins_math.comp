#version 310 es
precision highp float;
precision highp int;

#if defined(CHAINED_LAUNCH)
#define CHAINED_COHERENT coherent
#else
#define CHAINED_COHERENT
#endif

layout(local_size_x = 64, local_size_y = 1, local_size_z = 1) in;

// WGSL float remainder truncates (GLSL's mod() floors).
vec4 wgsl_frem(vec4 a, vec4 b) {
    return a - b * trunc(a / b);
}

// Rounds through half precision, as WGSL's quantizeToF16.
float wgsl_quantize_f16(float v) {
    return unpackHalf2x16(packHalf2x16(vec2(v, 0.0))).x;
}

layout(std430, binding = 0) CHAINED_COHERENT restrict readonly buffer x_block {
    vec4 x[];
};
layout(std430, binding = 1) CHAINED_COHERENT restrict buffer y_block {
    vec4 y[];
};

#if defined(CHAINED_LAUNCH)
void chained_launch_body() {
#else
void main() {
#endif
    uvec3 gid = gl_GlobalInvocationID;
    vec4 v = x[min(gid.x, (uint(x.length()) - 1u))];
    vec4 r = ((((exp(v) + exp2(v)) + log((abs(v) + 1.0))) + log2((abs(v) + 1.0))) + sqrt(abs(v))) + inversesqrt((abs(v) + 1.0));
    r += ((((sin(v) + cos(v)) + tan(v)) + tanh(v)) + atan(v, vec4(2.0))) + pow(abs(v), vec4(1.5));
    r += (((((floor(v) + ceil(v)) + roundEven(v)) + trunc(v)) + fract(v)) + sign(v)) + clamp(v, 0.0, 1.0);
    r += ((min(v, vec4(0.5)) + max(v, vec4(-0.5))) + clamp(v, vec4(-1.0), vec4(1.0))) + mix(v, r, 0.25);
    r += ((v * v + r) + step(vec4(0.0), v)) + smoothstep(vec4(0.0), vec4(1.0), v);
    float s = (((dot(v, r) + length(v)) + distance(v, r)) + max(v.x, 0.0)) - min(1.0, v.y);
    r += normalize((v + 1.0)) * s;
    vec3 n = cross(v.xyz, r.xyz);
    y[min(gid.x, (uint(y.length()) - 1u))] = (vec4(n, ((all(greaterThan(v, vec4(0.0))) || any(equal(v, r))) ? 1.0 : 0.0)) + wgsl_frem(v, vec4(3.0))) + ldexp(v, ivec4(2));
    y[min(gid.x, (uint(y.length()) - 1u))].w = ((degrees(radians(v.w)) + wgsl_quantize_f16(v.w)) + float(int(clamp(v.x, -2147483648.0, 2147483520.0)))) + float(uint(clamp(abs(v.y), 0.0, 4294967040.0)));
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
