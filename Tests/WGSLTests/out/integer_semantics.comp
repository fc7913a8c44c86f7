#version 310 es
precision highp float;
precision highp int;

#if defined(CHAINED_LAUNCH)
#define CHAINED_COHERENT coherent
#else
#define CHAINED_COHERENT
#endif

layout(local_size_x = 64, local_size_y = 1, local_size_z = 1) in;

// WGSL integer division: x / 0 == x, and i32's minimum / -1 == the minimum.
int wgsl_div(int a, int b) {
    return a / (((b == 0) || ((a == (-2147483647 - 1)) && (b == -1))) ? 1 : b);
}

// WGSL integer remainder: truncated (the sign follows the dividend), x % 0 == 0.
int wgsl_rem(int a, int b) {
    int d = (((b == 0) || ((a == (-2147483647 - 1)) && (b == -1))) ? 1 : b);
    return a - (a / d) * d;
}

uint wgsl_div(uint a, uint b) {
    return a / ((b == 0u) ? 1u : b);
}

uint wgsl_rem(uint a, uint b) {
    uint d = ((b == 0u) ? 1u : b);
    return a - (a / d) * d;
}

ivec4 wgsl_div(ivec4 a, ivec4 b) {
    return a / mix(b, ivec4(1), bvec4(uvec4(equal(b, ivec4(0))) | uvec4(bvec4(uvec4(equal(a, ivec4((-2147483647 - 1)))) & uvec4(equal(b, ivec4(-1)))))));
}

ivec4 wgsl_rem(ivec4 a, ivec4 b) {
    ivec4 d = mix(b, ivec4(1), bvec4(uvec4(equal(b, ivec4(0))) | uvec4(bvec4(uvec4(equal(a, ivec4((-2147483647 - 1)))) & uvec4(equal(b, ivec4(-1)))))));
    return a - (a / d) * d;
}

layout(std430, binding = 0) CHAINED_COHERENT restrict readonly buffer a_block {
    int a[];
};
layout(std430, binding = 1) CHAINED_COHERENT restrict readonly buffer b_block {
    int b[];
};
layout(std430, binding = 2) CHAINED_COHERENT restrict buffer out_i_block {
    int out_i[];
};
layout(std430, binding = 3) CHAINED_COHERENT restrict buffer out_u_block {
    uint out_u[];
};

#if defined(CHAINED_LAUNCH)
void chained_launch_body() {
#else
void main() {
#endif
    uvec3 gid = gl_GlobalInvocationID;
    uint i = gid.x;
    int x = a[min(i, (uint(a.length()) - 1u))];
    int y = b[min(i, (uint(b.length()) - 1u))];
    out_i[min(((4u * i) + 0u), (uint(out_i.length()) - 1u))] = wgsl_div(x, y);
    out_i[min(((4u * i) + 1u), (uint(out_i.length()) - 1u))] = wgsl_rem(x, y);
    out_i[min(((4u * i) + 2u), (uint(out_i.length()) - 1u))] = x << (uint(y) & 31u);
    out_i[min(((4u * i) + 3u), (uint(out_i.length()) - 1u))] = x >> (uint(y) & 31u);
    uint ux = uint(x);
    uint uy = uint(y);
    out_u[min(((4u * i) + 0u), (uint(out_u.length()) - 1u))] = wgsl_div(ux, uy);
    out_u[min(((4u * i) + 1u), (uint(out_u.length()) - 1u))] = wgsl_rem(ux, uy);
    out_u[min(((4u * i) + 2u), (uint(out_u.length()) - 1u))] = ((ux / 8u) + (ux % 8u)) + (ux >> 3u);
    ivec4 v = ivec4(x, y, (-x), (-y));
    v = wgsl_div(v, ivec4(y)) + wgsl_rem(v, ivec4(y));
    uint acc = 0u;
    acc += ux;
    acc = wgsl_div(acc, uy);
    acc = acc % 3u;
    acc = acc << (uy & 31u);
    acc++;
    out_u[min(((4u * i) + 3u), (uint(out_u.length()) - 1u))] = (acc + uint((v.x + v.w))) + ((x < y) ? 2u : 1u);
    uvec3 vs = uvec3(ux) << (uvec3(uy, (uy + 1u), 2u) & uvec3(31u));
    out_u[0u] = ((vs.x ^ vs.y) ^ vs.z) ^ (~ux);
    out_i[0u] = ((-x) / 7) + wgsl_rem((-x), 7);
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
