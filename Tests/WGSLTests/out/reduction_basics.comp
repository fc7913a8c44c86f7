#version 310 es
precision highp float;
precision highp int;

#if defined(CHAINED_LAUNCH)
#define CHAINED_COHERENT coherent
#else
#define CHAINED_COHERENT
#endif

#ifndef OVERRIDE_WG
#define OVERRIDE_WG 64
#endif
const uint WG = uint(OVERRIDE_WG);

layout(local_size_x = OVERRIDE_WG, local_size_y = 1, local_size_z = 1) in;

struct Params {
    uint n;
    float eps;
    vec2 scale;
};

// WGSL integer remainder: truncated (the sign follows the dividend), x % 0 == 0.
int wgsl_rem(int a, int b) {
    int d = (((b == 0) || ((a == (-2147483647 - 1)) && (b == -1))) ? 1 : b);
    return a - (a / d) * d;
}

// WGSL integer division: x / 0 == x, and i32's minimum / -1 == the minimum.
int wgsl_div(int a, int b) {
    return a / (((b == 0) || ((a == (-2147483647 - 1)) && (b == -1))) ? 1 : b);
}

// WGSL extractBits: offset and count clamped to the bit width; a zero count gives 0.
uint wgsl_extract_bits(uint e, uint offset, uint count) {
    uint o = min(offset, 32u);
    uint c = min(count, 32u - o);
    return c == 0u ? 0u : bitfieldExtract(e, int(o), int(c));
}

const int TILE = 4;
const float[4] LUT = float[4](0.0, 0.5, 1.0, 1.5);

layout(std430, binding = 0) CHAINED_COHERENT restrict readonly buffer x_block {
    float x[];
};
layout(std430, binding = 1) CHAINED_COHERENT restrict buffer y_block {
    float y[];
};
layout(std140, binding = 2) uniform params_block {
    uint n;
    float eps;
    vec2 scale;
} params;
shared float[WG] partial;

float square(float v) {
    return v * v;
}

#if defined(CHAINED_LAUNCH)
void chained_launch_body() {
#else
void main() {
#endif
    uint lid = gl_LocalInvocationIndex;
    uvec3 wid = gl_WorkGroupID;
    uint row = wid.x;
    float sum = 0.0;
    for (uint i = lid; i < params.n; i += WG) {
        sum += square(x[min(((row * params.n) + i), (uint(x.length()) - 1u))]);
    }
    partial[lid] = sum;
    memoryBarrierShared();
    barrier();
    uint stride = WG / 2u;
    bool loop_first = true;
    while (true) {
        if (!loop_first) {
            stride = stride >> 1u;
        }
        loop_first = false;
        if (stride == 0u) {
            break;
        }
        if (lid < stride) {
            partial[lid] += partial[min((lid + stride), (WG - 1u))];
        }
        memoryBarrierShared();
        barrier();
    }
    float inv = inversesqrt(((partial[0u] / float(params.n)) + params.eps));
    int k = wgsl_rem(int(lid), 4);
    int q = wgsl_div(int(row), k);
    uint bits = floatBitsToUint(inv) ^ (1u << (lid & 31u));
    if (((k == 2) && (q != -1)) || (!(sum > 0.0))) {
        bits = (sum < 1.0) ? 0u : bits;
    } else if (k == 3) {
        bits = wgsl_extract_bits(bits, 3u, 5u);
    } else {
        bits = uint(bitCount(bits)) + uint(findMSB(bits));
    }
    switch (k) {
        case 0:
        case 1:
        {
            y[min(row, (uint(y.length()) - 1u))] = LUT[min(uint(k), 3u)];
            break;
        }
        default:
        {
            y[min(row, (uint(y.length()) - 1u))] = unpackHalf2x16(bits).x * params.scale.y;
            break;
        }
    }
    uint n = uint(y.length());
    while (n > 100000u) {
        break;
    }
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
