#version 310 es
precision highp float;
precision highp int;

#if defined(CHAINED_LAUNCH)
#define CHAINED_COHERENT coherent
#else
#define CHAINED_COHERENT
#endif

#ifndef OVERRIDE_WG_SIZE
#define OVERRIDE_WG_SIZE 256
#endif
const uint WG_SIZE = uint(OVERRIDE_WG_SIZE);

layout(local_size_x = OVERRIDE_WG_SIZE, local_size_y = 1, local_size_z = 1) in;

struct Params {
    uint n;
    uint slice;
    uint k;
    float inv_temperature;
    uint offset;
    uint pad0;
    uint pad1;
    uint pad2;
};

const float NEG_BIG = -3e+38;
const uint NO_ID = 4294967295u;

layout(std140, binding = 0) uniform params_block {
    uint n;
    uint slice;
    uint k;
    float inv_temperature;
    uint offset;
    uint pad0;
    uint pad1;
    uint pad2;
} params;
layout(std430, binding = 1) CHAINED_COHERENT restrict readonly buffer logits_block {
    float logits[];
};
layout(std430, binding = 2) CHAINED_COHERENT restrict buffer stats_block {
    float stats[];
};
layout(std430, binding = 3) CHAINED_COHERENT restrict buffer cand_values_block {
    float cand_values[];
};
layout(std430, binding = 4) CHAINED_COHERENT restrict buffer cand_ids_block {
    uint cand_ids[];
};
shared float[WG_SIZE] red_value;
shared uint[WG_SIZE] red_id;
shared float[WG_SIZE] red_extra;

bool precedes(float v, uint id, float bv, uint bid) {
    return (v > bv) || ((v == bv) && (id < bid));
}

#if defined(CHAINED_LAUNCH)
void chained_launch_body() {
#else
void main() {
#endif
    uvec3 lid = gl_LocalInvocationID;
    uvec3 wid = gl_WorkGroupID;
    uint lane = lid.x;
    uint group = wid.x;
    uint begin = group * params.slice;
    uint end = min((begin + params.slice), params.n);
    float local_max = NEG_BIG;
    for (uint i = begin + lane; i < end; i += WG_SIZE) {
        local_max = max(local_max, logits[min((params.offset + i), (uint(logits.length()) - 1u))]);
    }
    red_value[lane] = local_max;
    memoryBarrierShared();
    barrier();
    for (uint stride = WG_SIZE / 2u; stride > 0u; stride = stride / 2u) {
        if (lane < stride) {
            red_value[lane] = max(red_value[lane], red_value[min((lane + stride), (WG_SIZE - 1u))]);
        }
        memoryBarrierShared();
        barrier();
    }
    float m = red_value[0u];
    memoryBarrierShared();
    barrier();
    float z_sum = 0.0;
    float s_sum = 0.0;
    for (uint i_1 = begin + lane; i_1 < end; i_1 += WG_SIZE) {
        float z = (logits[min((params.offset + i_1), (uint(logits.length()) - 1u))] - m) * params.inv_temperature;
        float e = exp(z);
        z_sum += e;
        s_sum += e * z;
    }
    red_value[lane] = z_sum;
    red_extra[lane] = s_sum;
    memoryBarrierShared();
    barrier();
    for (uint stride_1 = WG_SIZE / 2u; stride_1 > 0u; stride_1 = stride_1 / 2u) {
        if (lane < stride_1) {
            red_value[lane] = red_value[lane] + red_value[min((lane + stride_1), (WG_SIZE - 1u))];
            red_extra[lane] = red_extra[lane] + red_extra[min((lane + stride_1), (WG_SIZE - 1u))];
        }
        memoryBarrierShared();
        barrier();
    }
    if (lane == 0u) {
        stats[min((group * 4u), (uint(stats.length()) - 1u))] = m;
        stats[min(((group * 4u) + 1u), (uint(stats.length()) - 1u))] = red_value[0u];
        stats[min(((group * 4u) + 2u), (uint(stats.length()) - 1u))] = red_extra[0u];
        stats[min(((group * 4u) + 3u), (uint(stats.length()) - 1u))] = 0.0;
    }
    memoryBarrierShared();
    barrier();
    float prev_value = 0.0;
    uint prev_id = NO_ID;
    for (uint round_1 = 0u; round_1 < params.k; round_1++) {
        float best_v = NEG_BIG;
        uint best_i = NO_ID;
        for (uint i_2 = begin + lane; i_2 < end; i_2 += WG_SIZE) {
            float v = logits[min((params.offset + i_2), (uint(logits.length()) - 1u))];
            bool eligible = (round_1 == 0u) || precedes(prev_value, prev_id, v, i_2);
            if (eligible && precedes(v, i_2, best_v, best_i)) {
                best_v = v;
                best_i = i_2;
            }
        }
        red_value[lane] = best_v;
        red_id[lane] = best_i;
        memoryBarrierShared();
        barrier();
        for (uint stride_2 = WG_SIZE / 2u; stride_2 > 0u; stride_2 = stride_2 / 2u) {
            if ((lane < stride_2) && precedes(red_value[min((lane + stride_2), (WG_SIZE - 1u))], red_id[min((lane + stride_2), (WG_SIZE - 1u))], red_value[lane], red_id[lane])) {
                red_value[lane] = red_value[min((lane + stride_2), (WG_SIZE - 1u))];
                red_id[lane] = red_id[min((lane + stride_2), (WG_SIZE - 1u))];
            }
            memoryBarrierShared();
            barrier();
        }
        prev_value = red_value[0u];
        prev_id = red_id[0u];
        if (lane == 0u) {
            cand_values[min(((group * params.k) + round_1), (uint(cand_values.length()) - 1u))] = prev_value;
            cand_ids[min(((group * params.k) + round_1), (uint(cand_ids.length()) - 1u))] = prev_id;
        }
        memoryBarrierShared();
        barrier();
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
