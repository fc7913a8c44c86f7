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
    uint n_slots;
    uint n_experts;
    uint token_tile;
    uint pad0;
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

layout(std140, binding = 0) uniform params_block {
    uint n_slots;
    uint n_experts;
    uint token_tile;
    uint pad0;
} params;
layout(std430, binding = 1) CHAINED_COHERENT restrict readonly buffer ids_block {
    uint ids[];
};
layout(std430, binding = 2) CHAINED_COHERENT restrict buffer sorted_block {
    uint sorted[];
};
layout(std430, binding = 3) CHAINED_COHERENT restrict buffer tiles_block {
    uvec4 tiles[];
};
shared uint[WG_SIZE] counts;
shared uint[WG_SIZE] expert_total;
shared uint[WG_SIZE] expert_first;
shared uint[WG_SIZE] expert_tile;

#if defined(CHAINED_LAUNCH)
void chained_launch_body() {
#else
void main() {
#endif
    uint lid = gl_LocalInvocationIndex;
    uint n = params.n_slots;
    uint n_experts = params.n_experts;
    uint tile = params.token_tile;
    uint segments = wgsl_div(WG_SIZE, n_experts);
    uint g = wgsl_div(lid, n_experts);
    uint e = wgsl_rem(lid, n_experts);
    bool counting = g < segments;
    uint length_1 = wgsl_div(((n + segments) - 1u), segments);
    uint s0 = min((g * length_1), n);
    uint s1 = min((s0 + length_1), n);
    uint count = 0u;
    if (counting) {
        for (uint s = s0; s < s1; s++) {
            if (ids[min(s, (uint(ids.length()) - 1u))] == e) {
                count++;
            }
        }
    }
    counts[lid] = count;
    memoryBarrierShared();
    barrier();
    if (lid < n_experts) {
        uint total = 0u;
        for (uint seg = 0u; seg < segments; seg++) {
            total += counts[min(((seg * n_experts) + lid), (WG_SIZE - 1u))];
        }
        expert_total[lid] = total;
    }
    memoryBarrierShared();
    barrier();
    if (lid == 0u) {
        uint first = 0u;
        uint first_tile = 0u;
        for (uint x = 0u; x < n_experts; x++) {
            expert_first[min(x, (WG_SIZE - 1u))] = first;
            expert_tile[min(x, (WG_SIZE - 1u))] = first_tile;
            first += expert_total[min(x, (WG_SIZE - 1u))];
            first_tile += wgsl_div(((expert_total[min(x, (WG_SIZE - 1u))] + tile) - 1u), tile);
        }
        tiles[0u] = uvec4(first_tile, first, 0u, 0u);
    }
    memoryBarrierShared();
    barrier();
    if (counting) {
        uint position = expert_first[min(e, (WG_SIZE - 1u))];
        for (uint seg_1 = 0u; seg_1 < g; seg_1++) {
            position += counts[min(((seg_1 * n_experts) + e), (WG_SIZE - 1u))];
        }
        for (uint s_1 = s0; s_1 < s1; s_1++) {
            if (ids[min(s_1, (uint(ids.length()) - 1u))] == e) {
                sorted[min(position, (uint(sorted.length()) - 1u))] = s_1;
                position++;
            }
        }
    }
    if (lid < n_experts) {
        uint total_1 = expert_total[lid];
        uint first_1 = expert_first[lid];
        uint first_tile_1 = expert_tile[lid];
        for (uint i = 0u; (i * tile) < total_1; i++) {
            tiles[min(((1u + first_tile_1) + i), (uint(tiles.length()) - 1u))] = uvec4(lid, (first_1 + (i * tile)), min(tile, (total_1 - (i * tile))), 0u);
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
