#version 310 es
precision highp float;
precision highp int;

#if defined(CHAINED_LAUNCH)
#define CHAINED_COHERENT coherent
#else
#define CHAINED_COHERENT
#endif

layout(local_size_x = 64, local_size_y = 1, local_size_z = 1) in;

struct Counters {
    uint hits;
    int balance;
};

struct atomic_compare_exchange_result_u32 {
    uint old_value;
    bool exchanged;
};

layout(std430, binding = 0) CHAINED_COHERENT restrict buffer counters_block {
    uint hits;
    int balance;
} counters;
layout(std430, binding = 1) CHAINED_COHERENT restrict buffer histogram_block {
    uint histogram[];
};
layout(std430, binding = 2) CHAINED_COHERENT restrict readonly buffer values_block {
    uint values[];
};
shared uint local_hits;
shared uint leader_value;

#if defined(CHAINED_LAUNCH)
void chained_launch_body() {
#else
void main() {
#endif
    uvec3 gid = gl_GlobalInvocationID;
    uint lid = gl_LocalInvocationIndex;
    if (lid == 0u) {
        atomicExchange(local_hits, 0u);
        leader_value = values[min(gid.x, (uint(values.length()) - 1u))];
    }
    memoryBarrierShared();
    barrier();
    memoryBarrierShared();
    barrier();
    uint uniform_value = leader_value;
    memoryBarrierShared();
    barrier();
    uint shared_value = uniform_value;
    uint v = values[min(gid.x, (uint(values.length()) - 1u))];
    atomicAdd(histogram[min((v % 16u), (uint(histogram.length()) - 1u))], 1u);
    uint before = atomicAdd(local_hits, 1u);
    atomicAdd(counters.balance, 0 - int((v & 7u)));
    atomicMax(histogram[min(16u, (uint(histogram.length()) - 1u))], v);
    atomicMin(histogram[min(17u, (uint(histogram.length()) - 1u))], v);
    atomicOr(histogram[min(18u, (uint(histogram.length()) - 1u))], v);
    atomicAnd(histogram[min(19u, (uint(histogram.length()) - 1u))], v);
    atomicXor(histogram[min(20u, (uint(histogram.length()) - 1u))], v);
    uint old = atomicExchange(histogram[min(21u, (uint(histogram.length()) - 1u))], (before + shared_value));
    uint compare = old;
    uint old_value = atomicCompSwap(histogram[min(22u, (uint(histogram.length()) - 1u))], compare, v);
    atomic_compare_exchange_result_u32 exchange_result = atomic_compare_exchange_result_u32(old_value, old_value == compare);
    atomic_compare_exchange_result_u32 exchange = exchange_result;
    if (exchange.exchanged) {
        atomicAdd(counters.hits, 1u);
    }
    memoryBarrierBuffer();
    barrier();
    memoryBarrierShared();
    barrier();
    if (lid == 0u) {
        atomicAdd(counters.hits, atomicOr(local_hits, 0u));
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
