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
#ifndef OVERRIDE_ATOMIC_VALUES
#define OVERRIDE_ATOMIC_VALUES 0
#endif
const uint ATOMIC_VALUES = uint(OVERRIDE_ATOMIC_VALUES);

layout(local_size_x = OVERRIDE_WG_SIZE, local_size_y = 1, local_size_z = 1) in;

struct Params {
    uint groups_per_phase;
    uint phases;
    uint epoch;
    uint wait_extra;
    uint separate_phase;
    uint rounds;
    uint pad0;
    uint pad1;
};

// WGSL integer division: x / 0 == x, and i32's minimum / -1 == the minimum.
uint wgsl_div(uint a, uint b) {
    return a / ((b == 0u) ? 1u : b);
}

// WGSL integer remainder: truncated (the sign follows the dividend), x % 0 == 0.
uint wgsl_rem(uint a, uint b) {
    uint d = ((b == 0u) ? 1u : b);
    return a - (a / d) * d;
}

const uint NONE = 4294967295u;
const uint PARTNERS = 4u;
const uint TICKETS = 0u;
const uint WRONG_READS = 1u;
const uint GIVEN_UP = 2u;
const uint DONE = 3u;

layout(std140, binding = 0) uniform params_block {
    uint groups_per_phase;
    uint phases;
    uint epoch;
    uint wait_extra;
    uint separate_phase;
    uint rounds;
    uint pad0;
    uint pad1;
} params;
layout(std430, binding = 1) CHAINED_COHERENT restrict buffer counters_block {
    uint counters[];
};
layout(std430, binding = 2) CHAINED_COHERENT restrict buffer values_block {
    uint values[];
};
layout(std430, binding = 3) CHAINED_COHERENT restrict buffer atomic_values_block {
    uint atomic_values[];
};
shared uint ticket;

uint load_value(uint i) {
    #if (OVERRIDE_ATOMIC_VALUES == 1)
    return atomicOr(atomic_values[min(i, (uint(atomic_values.length()) - 1u))], 0u);
    #endif
    return values[min(i, (uint(values.length()) - 1u))];
}

void store_value(uint i, uint v) {
    #if (OVERRIDE_ATOMIC_VALUES == 1)
    atomicExchange(atomic_values[min(i, (uint(atomic_values.length()) - 1u))], v);
    #else
    values[min(i, (uint(values.length()) - 1u))] = v;
    #endif
}

bool phase_done(uint phase, uint wanted) {
    return atomicOr(counters[min((DONE + phase), (uint(counters.length()) - 1u))], 0u) >= wanted;
}

bool done_within_four_reads(uint phase, uint wanted) {
    return ((phase_done(phase, wanted) || phase_done(phase, wanted)) || phase_done(phase, wanted)) || phase_done(phase, wanted);
}

void wait_for_phase(uint phase, uint wanted) {
    for (uint i = 0u; i < (params.rounds * 64u); i++) {
        if (((done_within_four_reads(phase, wanted) || done_within_four_reads(phase, wanted)) || done_within_four_reads(phase, wanted)) || done_within_four_reads(phase, wanted)) {
            return;
        }
    }
    atomicAdd(counters[min(GIVEN_UP, (uint(counters.length()) - 1u))], 1u);
}

#if defined(CHAINED_LAUNCH)
void chained_launch_body() {
#else
void main() {
#endif
    uint lid = gl_LocalInvocationIndex;
    uvec3 wid = gl_WorkGroupID;
    uint n = params.groups_per_phase;
    if (lid == 0u) {
        if (params.separate_phase == NONE) {
            ticket = atomicAdd(counters[min(TICKETS, (uint(counters.length()) - 1u))], 1u);
        } else {
            ticket = (params.separate_phase * n) + wid.x;
        }
    }
    memoryBarrierShared();
    barrier();
    uint uniform_value = ticket;
    memoryBarrierShared();
    barrier();
    uint role = uniform_value;
    uint phase = wgsl_div(role, n);
    uint group = wgsl_rem(role, n);
    if (phase >= params.phases) {
        return;
    }
    if (((lid == 0u) && (phase > 0u)) && (params.separate_phase == NONE)) {
        wait_for_phase((phase - 1u), (n + params.wait_extra));
    }
    memoryBarrierShared();
    barrier();
    uint base = params.epoch * 1000u;
    if (phase > 0u) {
        uint previous = ((phase - 1u) * n) * WG_SIZE;
        uint wrong = 0u;
        for (uint k = 0u; k < PARTNERS; k++) {
            uint partner = wgsl_rem(((group + 1u) + (k * max(wgsl_div(n, PARTNERS), 1u))), n);
            if (load_value(((previous + (partner * WG_SIZE)) + ((WG_SIZE - 1u) - lid))) != ((base + phase) - 1u)) {
                wrong++;
            }
        }
        if (wrong > 0u) {
            atomicAdd(counters[min(WRONG_READS, (uint(counters.length()) - 1u))], wrong);
        }
    }
    store_value(((((phase * n) + group) * WG_SIZE) + lid), (base + phase));
    memoryBarrierBuffer();
    barrier();
    memoryBarrierShared();
    barrier();
    if (lid == 0u) {
        uint finished = atomicAdd(counters[min((DONE + phase), (uint(counters.length()) - 1u))], 1u) + 1u;
        if (((phase + 1u) == params.phases) && (finished == n)) {
            atomicExchange(counters[min(TICKETS, (uint(counters.length()) - 1u))], 0u);
            for (uint p = 0u; p < params.phases; p++) {
                atomicExchange(counters[min((DONE + p), (uint(counters.length()) - 1u))], 0u);
            }
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
