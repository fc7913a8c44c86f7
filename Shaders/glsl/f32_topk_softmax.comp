#version 310 es
precision highp float;
precision highp int;

#if defined(CHAINED_LAUNCH)
#define CHAINED_COHERENT coherent
#else
#define CHAINED_COHERENT
#endif

#ifndef OVERRIDE_WG_SIZE
#define OVERRIDE_WG_SIZE 32
#endif
const uint WG_SIZE = uint(OVERRIDE_WG_SIZE);

layout(local_size_x = OVERRIDE_WG_SIZE, local_size_y = 1, local_size_z = 1) in;

struct Params {
    uint n_tokens;
    uint n_experts;
    uint k;
    uint pad0;
};

const float NEG_BIG = -3e+38;
const uint MAX_K = 32u;

layout(std140, binding = 0) uniform params_block {
    uint n_tokens;
    uint n_experts;
    uint k;
    uint pad0;
} params;
layout(std430, binding = 1) CHAINED_COHERENT restrict readonly buffer logits_block {
    float logits[];
};
layout(std430, binding = 2) CHAINED_COHERENT restrict buffer ids_block {
    uint ids[];
};
layout(std430, binding = 3) CHAINED_COHERENT restrict buffer weights_block {
    float weights[];
};
shared float[WG_SIZE] best_value;
shared uint[WG_SIZE] best_index;
shared float[32] chosen_value;
shared uint[32] chosen_index;

#if defined(CHAINED_LAUNCH)
void chained_launch_body() {
#else
void main() {
#endif
    uvec3 lid = gl_LocalInvocationID;
    uvec3 wid = gl_WorkGroupID;
    uint t = wid.x;
    uint lane = lid.x;
    float mine = NEG_BIG;
    bool available = lane < params.n_experts;
    if (available) {
        mine = logits[min(((t * params.n_experts) + lane), (uint(logits.length()) - 1u))];
    }
    for (uint round_1 = 0u; round_1 < params.k; round_1++) {
        best_value[lane] = available ? mine : NEG_BIG;
        best_index[lane] = available ? lane : 4294967295u;
        memoryBarrierShared();
        barrier();
        for (uint stride = WG_SIZE / 2u; stride > 0u; stride = stride / 2u) {
            if (lane < stride) {
                float v = best_value[min((lane + stride), (WG_SIZE - 1u))];
                uint i = best_index[min((lane + stride), (WG_SIZE - 1u))];
                float cur = best_value[lane];
                uint cur_i = best_index[lane];
                if ((v > cur) || ((v == cur) && (i < cur_i))) {
                    best_value[lane] = v;
                    best_index[lane] = i;
                }
            }
            memoryBarrierShared();
            barrier();
        }
        uint winner = best_index[0u];
        if (lane == 0u) {
            chosen_value[min(round_1, 31u)] = best_value[0u];
            chosen_index[min(round_1, 31u)] = winner;
        }
        if (winner == lane) {
            available = false;
        }
        memoryBarrierShared();
        barrier();
    }
    if (lane == 0u) {
        float m = chosen_value[0u];
        float total = 0.0;
        for (uint j = 0u; j < params.k; j++) {
            total += exp((chosen_value[min(j, 31u)] - m));
        }
        for (uint j_1 = 0u; j_1 < params.k; j_1++) {
            ids[min(((t * params.k) + j_1), (uint(ids.length()) - 1u))] = chosen_index[min(j_1, 31u)];
            weights[min(((t * params.k) + j_1), (uint(weights.length()) - 1u))] = exp((chosen_value[min(j_1, 31u)] - m)) / total;
        }
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
