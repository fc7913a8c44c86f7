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
    uint n_groups;
    uint k;
    float inv_temperature;
    uint pad0;
};

const float NEG_BIG = -3e+38;
const uint NO_ID = 4294967295u;

layout(std140, binding = 0) uniform params_block {
    uint n_groups;
    uint k;
    float inv_temperature;
    uint pad0;
} params;
layout(std430, binding = 1) CHAINED_COHERENT restrict readonly buffer stats_block {
    float stats[];
};
layout(std430, binding = 2) CHAINED_COHERENT restrict readonly buffer cand_values_block {
    float cand_values[];
};
layout(std430, binding = 3) CHAINED_COHERENT restrict readonly buffer cand_ids_block {
    uint cand_ids[];
};
layout(std430, binding = 4) CHAINED_COHERENT restrict buffer result_block {
    uint result[];
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
    uint lane = lid.x;
    float inv_t = params.inv_temperature;
    float local_max = NEG_BIG;
    for (uint g = lane; g < params.n_groups; g += WG_SIZE) {
        local_max = max(local_max, stats[min((g * 4u), (uint(stats.length()) - 1u))]);
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
    float m_all = red_value[0u];
    memoryBarrierShared();
    barrier();
    float z_sum = 0.0;
    float s_sum = 0.0;
    for (uint g_1 = lane; g_1 < params.n_groups; g_1 += WG_SIZE) {
        float shift = (stats[min((g_1 * 4u), (uint(stats.length()) - 1u))] - m_all) * inv_t;
        float f = exp(shift);
        z_sum += f * stats[min(((g_1 * 4u) + 1u), (uint(stats.length()) - 1u))];
        s_sum += f * (stats[min(((g_1 * 4u) + 2u), (uint(stats.length()) - 1u))] + (shift * stats[min(((g_1 * 4u) + 1u), (uint(stats.length()) - 1u))]));
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
    float z_total = red_value[0u];
    float s_total = red_extra[0u];
    memoryBarrierShared();
    barrier();
    uint n_cand = params.n_groups * params.k;
    float prev_value = 0.0;
    uint prev_id = NO_ID;
    for (uint round_1 = 0u; round_1 < params.k; round_1++) {
        float best_v = NEG_BIG;
        uint best_i = NO_ID;
        for (uint c = lane; c < n_cand; c += WG_SIZE) {
            float v = cand_values[min(c, (uint(cand_values.length()) - 1u))];
            uint id = cand_ids[min(c, (uint(cand_ids.length()) - 1u))];
            bool eligible = (id != NO_ID) && ((round_1 == 0u) || precedes(prev_value, prev_id, v, id));
            if (eligible && precedes(v, id, best_v, best_i)) {
                best_v = v;
                best_i = id;
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
            result[min((4u + round_1), (uint(result.length()) - 1u))] = prev_id;
            result[min(((4u + params.k) + round_1), (uint(result.length()) - 1u))] = floatBitsToUint(prev_value);
            if (round_1 == 0u) {
                result[0u] = prev_id;
                result[min(1u, (uint(result.length()) - 1u))] = floatBitsToUint(prev_value);
                result[min(2u, (uint(result.length()) - 1u))] = floatBitsToUint(((m_all * inv_t) + log(z_total)));
                result[min(3u, (uint(result.length()) - 1u))] = floatBitsToUint((log(z_total) - (s_total / z_total)));
            }
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
