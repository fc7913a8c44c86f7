#version 310 es
precision highp float;
precision highp int;

#if defined(CHAINED_LAUNCH)
#define CHAINED_COHERENT coherent
#else
#define CHAINED_COHERENT
#endif

layout(local_size_x = 64, local_size_y = 1, local_size_z = 1) in;

// WGSL extractBits: offset and count clamped to the bit width; a zero count gives 0.
uint wgsl_extract_bits(uint e, uint offset, uint count) {
    uint o = min(offset, 32u);
    uint c = min(count, 32u - o);
    return c == 0u ? 0u : bitfieldExtract(e, int(o), int(c));
}

int wgsl_extract_bits(int e, uint offset, uint count) {
    uint o = min(offset, 32u);
    uint c = min(count, 32u - o);
    return c == 0u ? 0 : bitfieldExtract(e, int(o), int(c));
}

// WGSL insertBits: offset and count clamped to the bit width; a zero count returns e.
uint wgsl_insert_bits(uint e, uint newbits, uint offset, uint count) {
    uint o = min(offset, 32u);
    uint c = min(count, 32u - o);
    return c == 0u ? e : bitfieldInsert(e, newbits, int(o), int(c));
}

uvec4 wgsl_unpack4xU8(uint v) {
    return (uvec4(v) >> uvec4(0u, 8u, 16u, 24u)) & uvec4(0xFFu);
}

// Each byte sign-extended.
ivec4 wgsl_unpack4xI8(uint v) {
    return ivec4(int(v) << 24, int(v) << 16, int(v) << 8, int(v)) >> 24;
}

uint wgsl_dot4U8Packed(uint a, uint b) {
    uvec4 x = (uvec4(a) >> uvec4(0u, 8u, 16u, 24u)) & uvec4(0xFFu);
    uvec4 y = (uvec4(b) >> uvec4(0u, 8u, 16u, 24u)) & uvec4(0xFFu);
    return x.x * y.x + x.y * y.y + x.z * y.z + x.w * y.w;
}

int wgsl_dot4I8Packed(uint a, uint b) {
    ivec4 x = ivec4(int(a) << 24, int(a) << 16, int(a) << 8, int(a)) >> 24;
    ivec4 y = ivec4(int(b) << 24, int(b) << 16, int(b) << 8, int(b)) >> 24;
    return x.x * y.x + x.y * y.y + x.z * y.z + x.w * y.w;
}

uint wgsl_pack4xI8(ivec4 v) {
    uvec4 b = uvec4(v) & uvec4(0xFFu);
    return b.x | (b.y << 8u) | (b.z << 16u) | (b.w << 24u);
}

uint wgsl_pack4xU8(uvec4 v) {
    uvec4 b = v & uvec4(0xFFu);
    return b.x | (b.y << 8u) | (b.z << 16u) | (b.w << 24u);
}

uint wgsl_pack4xU8Clamp(uvec4 v) {
    uvec4 b = min(v, uvec4(255u));
    return b.x | (b.y << 8u) | (b.z << 16u) | (b.w << 24u);
}

uint wgsl_pack4xI8Clamp(ivec4 v) {
    uvec4 b = uvec4(clamp(v, ivec4(-128), ivec4(127))) & uvec4(0xFFu);
    return b.x | (b.y << 8u) | (b.z << 16u) | (b.w << 24u);
}

layout(std430, binding = 0) CHAINED_COHERENT restrict readonly buffer words_block {
    uint words[];
};
layout(std430, binding = 1) CHAINED_COHERENT restrict buffer floats_block {
    float floats[];
};
layout(std430, binding = 2) CHAINED_COHERENT restrict buffer ints_block {
    int ints[];
};

#if defined(CHAINED_LAUNCH)
void chained_launch_body() {
#else
void main() {
#endif
    uvec3 gid = gl_GlobalInvocationID;
    uint w = words[min(gid.x, (uint(words.length()) - 1u))];
    vec2 halves = unpackHalf2x16(w);
    vec4 signed_bytes = unpackSnorm4x8(w);
    vec4 unsigned_bytes = unpackUnorm4x8(w);
    floats[min(gid.x, (uint(floats.length()) - 1u))] = ((((halves.x + halves.y) + signed_bytes.w) + unsigned_bytes.z) + unpackUnorm2x16(w).x) + unpackSnorm2x16(w).y;
    uint nibble = wgsl_extract_bits(w, (4u * (gid.x % 8u)), 4u);
    int signed = wgsl_extract_bits(int(w), 3u, 5u);
    uint merged = wgsl_insert_bits(w, nibble, 28u, 4u);
    uint repacked = (((packHalf2x16(halves) ^ packSnorm4x8(signed_bytes)) ^ packUnorm4x8(unsigned_bytes)) ^ packUnorm2x16(halves)) ^ packSnorm2x16(halves);
    uint counts = (((uint(bitCount(w)) + uint(int(31) - findMSB(uint(w)))) + uint(min(uint(findLSB(w)), uint(32u)))) + uint(findMSB(w))) + uint(findLSB(w));
    uvec4 bytes = wgsl_unpack4xU8(w);
    ivec4 sbytes = wgsl_unpack4xI8(w);
    uint dots = wgsl_dot4U8Packed(w, merged) + uint(wgsl_dot4I8Packed(w, repacked));
    ints[min(gid.x, (uint(ints.length()) - 1u))] = (((signed + int(findMSB(int(w)))) + ivec2(bitCount(ivec2(int(w), 3))).y) + sbytes.x) + int((wgsl_pack4xI8(sbytes) & 1u));
    ints[min((gid.x + 1u), (uint(ints.length()) - 1u))] = int(((((((bitfieldReverse(w) + counts) + bytes.y) + wgsl_pack4xU8(bytes)) + wgsl_pack4xU8Clamp(bytes)) + wgsl_pack4xI8Clamp(sbytes)) + dots));
    ints[min((gid.x + 2u), (uint(ints.length()) - 1u))] = (floatBitsToInt(halves.x) + int(w)) + int(floatBitsToUint(floats[0u]));
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
