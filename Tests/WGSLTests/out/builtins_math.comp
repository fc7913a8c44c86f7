#version 310 es
precision highp float;
precision highp int;

layout(local_size_x = 64, local_size_y = 1, local_size_z = 1) in;

// WGSL float remainder truncates (GLSL's mod() floors).
vec4 wgsl_frem(vec4 a, vec4 b) {
    return a - b * trunc(a / b);
}

// Rounds through half precision, as WGSL's quantizeToF16.
float wgsl_quantize_f16(float v) {
    return unpackHalf2x16(packHalf2x16(vec2(v, 0.0))).x;
}

layout(std430, binding = 0) restrict readonly buffer x_block {
    vec4 x[];
};
layout(std430, binding = 1) restrict buffer y_block {
    vec4 y[];
};

void main() {
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
