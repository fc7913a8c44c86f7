#version 310 es
precision highp float;
precision highp int;

#if defined(CHAINED_LAUNCH)
#define CHAINED_COHERENT coherent
#else
#define CHAINED_COHERENT
#endif

#ifndef OVERRIDE_WEIGHT_FORMAT
#define OVERRIDE_WEIGHT_FORMAT 3
#endif
const uint WEIGHT_FORMAT = uint(OVERRIDE_WEIGHT_FORMAT);
#ifndef OVERRIDE_WG_SIZE
#define OVERRIDE_WG_SIZE 64
#endif
const uint WG_SIZE = uint(OVERRIDE_WG_SIZE);

layout(local_size_x = OVERRIDE_WG_SIZE, local_size_y = 1, local_size_z = 1) in;

struct Params {
    uint n_tokens;
    uint cols;
    uint row_begin;
    uint row_end;
    uint x_stride;
    uint scale_words_per_row;
    uint data_vec4_per_row;
    uint pad0;
};

const uint FORMAT_F32 = 0u;
const uint FORMAT_F16 = 1u;
const uint FORMAT_BF16 = 2u;
const uint FORMAT_Q8_0 = 3u;
const uint FORMAT_MXFP4 = 4u;

layout(std140, binding = 0) uniform params_block {
    uint n_tokens;
    uint cols;
    uint row_begin;
    uint row_end;
    uint x_stride;
    uint scale_words_per_row;
    uint data_vec4_per_row;
    uint pad0;
} params;
layout(std430, binding = 1) CHAINED_COHERENT restrict readonly buffer token_ids_block {
    uint token_ids[];
};
layout(std430, binding = 2) CHAINED_COHERENT restrict readonly buffer scales_block {
    uint scales[];
};
layout(std430, binding = 3) CHAINED_COHERENT restrict readonly buffer data_block {
    uint data[];
};
layout(std430, binding = 4) CHAINED_COHERENT restrict buffer x_block {
    float x[];
};

float e2m1x2(uint code) {
    uint m = code & 7u;
    float v = float(m);
    if (m >= 4u) {
        v = float(((2u + (m & 1u)) << (((m >> 1u) - 1u) & 31u)));
    }
    return ((code & 8u) != 0u) ? (-v) : v;
}

float e8m0_half(uint e) {
    return uintBitsToFloat(((e >= 2u) ? ((e - 1u) << 23u) : 0u));
}

float element(uint row, uint c) {
    uint words = (row * params.data_vec4_per_row) * 4u;
    #if (OVERRIDE_WEIGHT_FORMAT == 3)
    uint b = c / 32u;
    vec2 pair = unpackHalf2x16(scales[min(((row * params.scale_words_per_row) + (b / 2u)), (uint(scales.length()) - 1u))]);
    float d = ((b & 1u) == 1u) ? pair.y : pair.x;
    uint w = data[min((words + (c / 4u)), (uint(data.length()) - 1u))];
    int q = int((w << ((24u - (8u * (c & 3u))) & 31u))) >> 24u;
    return d * float(q);
    #elif (OVERRIDE_WEIGHT_FORMAT == 4)
    uint b_1 = c / 32u;
    uint j = c & 31u;
    uint e = (scales[min(((row * params.scale_words_per_row) + (b_1 / 4u)), (uint(scales.length()) - 1u))] >> (((b_1 & 3u) * 8u) & 31u)) & 255u;
    uint byte_index = j & 15u;
    uint w_1 = data[min(((words + (b_1 * 4u)) + (byte_index / 4u)), (uint(data.length()) - 1u))];
    uint shift = ((byte_index & 3u) * 8u) + ((j >= 16u) ? 4u : 0u);
    return e8m0_half(e) * e2m1x2(((w_1 >> (shift & 31u)) & 15u));
    #elif (OVERRIDE_WEIGHT_FORMAT == 0)
    return uintBitsToFloat(data[min((words + c), (uint(data.length()) - 1u))]);
    #elif (OVERRIDE_WEIGHT_FORMAT == 1)
    vec2 pair_1 = unpackHalf2x16(data[min((words + (c / 2u)), (uint(data.length()) - 1u))]);
    return ((c & 1u) == 1u) ? pair_1.y : pair_1.x;
    #else
    uint w_2 = data[min((words + (c / 2u)), (uint(data.length()) - 1u))];
    return uintBitsToFloat((((c & 1u) == 1u) ? (w_2 & 4294901760u) : (w_2 << 16u)));
    #endif
}

#if defined(CHAINED_LAUNCH)
void chained_launch_body() {
#else
void main() {
#endif
    uvec3 gid = gl_GlobalInvocationID;
    uint c = gid.x;
    uint t = gid.y;
    if ((c >= params.cols) || (t >= params.n_tokens)) {
        return;
    }
    uint id = token_ids[min(t, (uint(token_ids.length()) - 1u))];
    if ((id < params.row_begin) || (id >= params.row_end)) {
        return;
    }
    x[min(((t * params.x_stride) + c), (uint(x.length()) - 1u))] = element((id - params.row_begin), c);
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
