#version 310 es
precision highp float;
precision highp int;

#if defined(CHAINED_LAUNCH)
#define CHAINED_COHERENT coherent
#else
#define CHAINED_COHERENT
#endif

layout(local_size_x = 32, local_size_y = 2, local_size_z = 1) in;

layout(std430, binding = 0) CHAINED_COHERENT restrict buffer data_block {
    uint data[];
};

uint classify(uint v) {
    if (v == 0u) {
        return 0u;
    } else if (v < 10u) {
        return 1u;
    } else if (v < 100u) {
        return 2u;
    }
    return 3u;
}

void accumulate(inout uint total, uint v) {
    total += v;
}

uint collatz_steps(uint start) {
    uint n = start;
    uint steps = 0u;
    bool loop_first = true;
    while (true) {
        if (!loop_first) {
            steps++;
            if (steps >= 1000u) {
                break;
            }
        }
        loop_first = false;
        if (n <= 1u) {
            break;
        }
        if ((n % 2u) == 0u) {
            n = n / 2u;
            continue;
        }
        n = (3u * n) + 1u;
    }
    return steps;
}

#if defined(CHAINED_LAUNCH)
void chained_launch_body() {
#else
void main() {
#endif
    uvec3 gid = gl_GlobalInvocationID;
    uvec3 groups = gl_NumWorkGroups;
    uint index = gid.x + ((gid.y * groups.x) * 32u);
    if (index >= uint(data.length())) {
        return;
    }
    uint total = 0u;
    for (uint i = 0u; i < 8u; i++) {
        if (i == 3u) {
            continue;
        }
        accumulate(total, i);
    }
    int k = 0;
    while (k < 4) {
        k++;
    }
    uint kind = 0u;
    switch (classify(data[min(index, (uint(data.length()) - 1u))])) {
        case 0u:
        {
            kind = 10u;
            break;
        }
        case 1u:
        case 2u:
        {
            kind = 20u;
            break;
        }
        case 3u:
        default:
        {
            kind = 30u;
            if (total > 100u) {
                break;
            }
            kind++;
            break;
        }
    }
    data[min(index, (uint(data.length()) - 1u))] = ((total + kind) + uint(k)) + collatz_steps(data[min(index, (uint(data.length()) - 1u))]);
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
