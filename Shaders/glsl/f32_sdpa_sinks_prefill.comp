#version 310 es
precision highp float;
precision highp int;

#if defined(CHAINED_LAUNCH)
#define CHAINED_COHERENT coherent
#else
#define CHAINED_COHERENT
#endif

#ifndef OVERRIDE_HEAD_DIM
#define OVERRIDE_HEAD_DIM 64
#endif
const uint HEAD_DIM = uint(OVERRIDE_HEAD_DIM);
#ifndef OVERRIDE_KV_HALF
#define OVERRIDE_KV_HALF 0
#endif
const uint KV_HALF = uint(OVERRIDE_KV_HALF);
#ifndef OVERRIDE_Q_TILE
#define OVERRIDE_Q_TILE 16
#endif
const uint Q_TILE = uint(OVERRIDE_Q_TILE);
#ifndef OVERRIDE_K_TILE
#define OVERRIDE_K_TILE 16
#endif
const uint K_TILE = uint(OVERRIDE_K_TILE);
#ifndef OVERRIDE_REGISTER_ROWS
#define OVERRIDE_REGISTER_ROWS 0
#endif
const uint REGISTER_ROWS = uint(OVERRIDE_REGISTER_ROWS);

layout(local_size_x = OVERRIDE_Q_TILE, local_size_y = 1, local_size_z = 1) in;

struct Params {
    uint n_tokens;
    uint n_heads;
    uint n_kv_heads;
    uint position0;
    uint capacity;
    uint window;
    uint q_stride;
    uint q_offset;
    uint kv_stride;
    uint k_offset;
    uint v_offset;
    uint out_stride;
    float scale;
    uint pad0;
    uint pad1;
    uint pad2;
};

// WGSL integer remainder: truncated (the sign follows the dividend), x % 0 == 0.
uint wgsl_rem(uint a, uint b) {
    uint d = ((b == 0u) ? 1u : b);
    return a - (a / d) * d;
}

// WGSL integer division: x / 0 == x, and i32's minimum / -1 == the minimum.
uint wgsl_div(uint a, uint b) {
    return a / ((b == 0u) ? 1u : b);
}

const uint MAX_HEAD_VECS = 16u;
const float NEG_BIG = -3e+38;

layout(std140, binding = 0) uniform params_block {
    uint n_tokens;
    uint n_heads;
    uint n_kv_heads;
    uint position0;
    uint capacity;
    uint window;
    uint q_stride;
    uint q_offset;
    uint kv_stride;
    uint k_offset;
    uint v_offset;
    uint out_stride;
    float scale;
    uint pad0;
    uint pad1;
    uint pad2;
} params;
layout(std430, binding = 1) CHAINED_COHERENT restrict readonly buffer q_block {
    float q[];
};
layout(std430, binding = 2) CHAINED_COHERENT restrict readonly buffer k_new_block {
    float k_new[];
};
layout(std430, binding = 3) CHAINED_COHERENT restrict readonly buffer v_new_block {
    float v_new[];
};
layout(std430, binding = 4) CHAINED_COHERENT restrict readonly buffer k_cache_block {
    uint k_cache[];
};
layout(std430, binding = 5) CHAINED_COHERENT restrict readonly buffer v_cache_block {
    uint v_cache[];
};
layout(std430, binding = 6) CHAINED_COHERENT restrict readonly buffer sinks_block {
    float sinks[];
};
layout(std430, binding = 7) CHAINED_COHERENT restrict buffer out_block {
    float out_1[];
};
shared float[(((Q_TILE * HEAD_DIM) * (1u - REGISTER_ROWS)) + 1u)] q_tile;
shared float[(((Q_TILE * HEAD_DIM) * (1u - REGISTER_ROWS)) + 1u)] acc_tile;
shared float[(((K_TILE * HEAD_DIM) * (1u - REGISTER_ROWS)) + 1u)] k_tile;
shared float[(((K_TILE * HEAD_DIM) * (1u - REGISTER_ROWS)) + 1u)] v_tile;
shared vec4[((((K_TILE * HEAD_DIM) / 4u) * REGISTER_ROWS) + 1u)] k_vecs;
shared vec4[((((K_TILE * HEAD_DIM) / 4u) * REGISTER_ROWS) + 1u)] v_vecs;
shared float[(Q_TILE * K_TILE)] p_tile;

float load_k(uint i) {
    #if (OVERRIDE_KV_HALF == 1)
    vec2 pair = unpackHalf2x16(k_cache[min((i / 2u), (uint(k_cache.length()) - 1u))]);
    return ((i & 1u) == 1u) ? pair.y : pair.x;
    #endif
    return uintBitsToFloat(k_cache[min(i, (uint(k_cache.length()) - 1u))]);
}

float key_at(uint kp, uint kv_head, uint d) {
    if (kp >= params.position0) {
        return k_new[min((((((kp - params.position0) * params.kv_stride) + (kv_head * HEAD_DIM)) + d) + params.k_offset), (uint(k_new.length()) - 1u))];
    }
    return load_k(((((wgsl_rem(kp, params.capacity) * params.n_kv_heads) + kv_head) * HEAD_DIM) + d));
}

float load_v(uint i) {
    #if (OVERRIDE_KV_HALF == 1)
    vec2 pair = unpackHalf2x16(v_cache[min((i / 2u), (uint(v_cache.length()) - 1u))]);
    return ((i & 1u) == 1u) ? pair.y : pair.x;
    #endif
    return uintBitsToFloat(v_cache[min(i, (uint(v_cache.length()) - 1u))]);
}

float value_at(uint kp, uint kv_head, uint d) {
    if (kp >= params.position0) {
        return v_new[min((((((kp - params.position0) * params.kv_stride) + (kv_head * HEAD_DIM)) + d) + params.v_offset), (uint(v_new.length()) - 1u))];
    }
    return load_v(((((wgsl_rem(kp, params.capacity) * params.n_kv_heads) + kv_head) * HEAD_DIM) + d));
}

uvec2 key_range(uint t_first) {
    uint t_last = min((t_first + Q_TILE), params.n_tokens) - 1u;
    uint first_query = params.position0 + t_first;
    uint k_begin = 0u;
    if ((params.window > 0u) && ((first_query + 1u) > params.window)) {
        k_begin = (first_query + 1u) - params.window;
    }
    return uvec2(k_begin, ((params.position0 + t_last) + 1u));
}

float output_scale(uint head, float m, float l) {
    float sink = sinks[min(head, (uint(sinks.length()) - 1u))];
    float m_all = max(m, sink);
    float correction = exp((m - m_all));
    float total = (l * correction) + exp((sink - m_all));
    return correction / total;
}

void main_registers(uint lane, uvec3 wid) {
    uint head = wid.y;
    uint kv_head = wgsl_div(head, wgsl_div(params.n_heads, params.n_kv_heads));
    uint t_first = wid.x * Q_TILE;
    uint t = t_first + lane;
    bool valid = t < params.n_tokens;
    uint qp = params.position0 + t;
    uint head_vecs = HEAD_DIM / 4u;
    uvec2 keys = key_range(t_first);
    uint k_begin = keys.x;
    uint k_end = keys.y;
    vec4[16] qv = vec4[16](vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0));
    vec4[16] acc = vec4[16](vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0));
    uint q_base = ((min(t, (params.n_tokens - 1u)) * params.q_stride) + params.q_offset) + (head * HEAD_DIM);
    for (uint v = 0u; v < head_vecs; v++) {
        uint i = q_base + (4u * v);
        qv[min(v, 15u)] = valid ? vec4(q[min(i, (uint(q.length()) - 1u))], q[min((i + 1u), (uint(q.length()) - 1u))], q[min((i + 2u), (uint(q.length()) - 1u))], q[min((i + 3u), (uint(q.length()) - 1u))]) : vec4(0.0);
        acc[min(v, 15u)] = vec4(0.0);
    }
    float m = NEG_BIG;
    float l = 0.0;
    for (uint kt = k_begin; kt < k_end; kt += K_TILE) {
        for (uint i_1 = lane; i_1 < (K_TILE * head_vecs); i_1 += Q_TILE) {
            uint kp = kt + wgsl_div(i_1, head_vecs);
            uint d = 4u * wgsl_rem(i_1, head_vecs);
            vec4 kv = vec4(0.0);
            vec4 vv = vec4(0.0);
            if (kp < k_end) {
                kv = vec4(key_at(kp, kv_head, d), key_at(kp, kv_head, (d + 1u)), key_at(kp, kv_head, (d + 2u)), key_at(kp, kv_head, (d + 3u)));
                vv = vec4(value_at(kp, kv_head, d), value_at(kp, kv_head, (d + 1u)), value_at(kp, kv_head, (d + 2u)), value_at(kp, kv_head, (d + 3u)));
            }
            k_vecs[min(i_1, (((((K_TILE * HEAD_DIM) / 4u) * REGISTER_ROWS) + 1u) - 1u))] = kv;
            v_vecs[min(i_1, (((((K_TILE * HEAD_DIM) / 4u) * REGISTER_ROWS) + 1u) - 1u))] = vv;
        }
        memoryBarrierShared();
        barrier();
        if (valid) {
            float tile_max = NEG_BIG;
            for (uint j = 0u; j < K_TILE; j++) {
                uint kp_1 = kt + j;
                float s = NEG_BIG;
                if ((kp_1 <= qp) && ((params.window == 0u) || ((qp - kp_1) < params.window))) {
                    vec4 dot_qk = vec4(0.0);
                    for (uint v_1 = 0u; v_1 < head_vecs; v_1++) {
                        dot_qk += qv[min(v_1, 15u)] * k_vecs[min(((j * head_vecs) + v_1), (((((K_TILE * HEAD_DIM) / 4u) * REGISTER_ROWS) + 1u) - 1u))];
                    }
                    s = (((dot_qk.x + dot_qk.y) + dot_qk.z) + dot_qk.w) * params.scale;
                }
                p_tile[min(((j * Q_TILE) + lane), ((Q_TILE * K_TILE) - 1u))] = s;
                tile_max = max(tile_max, s);
            }
            float m_new = max(m, tile_max);
            float correction = exp((m - m_new));
            float tile_sum = 0.0;
            for (uint v_2 = 0u; v_2 < head_vecs; v_2++) {
                acc[min(v_2, 15u)] *= correction;
            }
            for (uint j_1 = 0u; j_1 < K_TILE; j_1++) {
                float s_1 = p_tile[min(((j_1 * Q_TILE) + lane), ((Q_TILE * K_TILE) - 1u))];
                float p = 0.0;
                if (s_1 > NEG_BIG) {
                    p = exp((s_1 - m_new));
                }
                tile_sum += p;
                for (uint v_3 = 0u; v_3 < head_vecs; v_3++) {
                    acc[min(v_3, 15u)] += p * v_vecs[min(((j_1 * head_vecs) + v_3), (((((K_TILE * HEAD_DIM) / 4u) * REGISTER_ROWS) + 1u) - 1u))];
                }
            }
            l = (l * correction) + tile_sum;
            m = m_new;
        }
        memoryBarrierShared();
        barrier();
    }
    if (valid) {
        float scale_out = output_scale(head, m, l);
        uint o = (t * params.out_stride) + (head * HEAD_DIM);
        for (uint v_4 = 0u; v_4 < head_vecs; v_4++) {
            vec4 r = acc[min(v_4, 15u)] * scale_out;
            out_1[min((o + (4u * v_4)), (uint(out_1.length()) - 1u))] = r.x;
            out_1[min(((o + (4u * v_4)) + 1u), (uint(out_1.length()) - 1u))] = r.y;
            out_1[min(((o + (4u * v_4)) + 2u), (uint(out_1.length()) - 1u))] = r.z;
            out_1[min(((o + (4u * v_4)) + 3u), (uint(out_1.length()) - 1u))] = r.w;
        }
    }
}

void main_shared(uint lane, uvec3 wid) {
    uint head = wid.y;
    uint kv_head = wgsl_div(head, wgsl_div(params.n_heads, params.n_kv_heads));
    uint t_first = wid.x * Q_TILE;
    uint t = t_first + lane;
    bool valid = t < params.n_tokens;
    uint qp = params.position0 + t;
    uvec2 keys = key_range(t_first);
    uint k_begin = keys.x;
    uint k_end = keys.y;
    for (uint d = 0u; d < HEAD_DIM; d++) {
        float v = 0.0;
        if (valid) {
            v = q[min(((((t * params.q_stride) + params.q_offset) + (head * HEAD_DIM)) + d), (uint(q.length()) - 1u))];
        }
        q_tile[min(((d * Q_TILE) + lane), ((((Q_TILE * HEAD_DIM) * (1u - REGISTER_ROWS)) + 1u) - 1u))] = v;
        acc_tile[min(((d * Q_TILE) + lane), ((((Q_TILE * HEAD_DIM) * (1u - REGISTER_ROWS)) + 1u) - 1u))] = 0.0;
    }
    float m = NEG_BIG;
    float l = 0.0;
    for (uint kt = k_begin; kt < k_end; kt += K_TILE) {
        for (uint i = lane; i < (K_TILE * HEAD_DIM); i += Q_TILE) {
            uint kp = kt + wgsl_div(i, HEAD_DIM);
            uint d_1 = wgsl_rem(i, HEAD_DIM);
            float kv = 0.0;
            float vv = 0.0;
            if (kp < k_end) {
                if (kp >= params.position0) {
                    uint src = (((kp - params.position0) * params.kv_stride) + (kv_head * HEAD_DIM)) + d_1;
                    kv = k_new[min((src + params.k_offset), (uint(k_new.length()) - 1u))];
                    vv = v_new[min((src + params.v_offset), (uint(v_new.length()) - 1u))];
                } else {
                    uint src_1 = (((wgsl_rem(kp, params.capacity) * params.n_kv_heads) + kv_head) * HEAD_DIM) + d_1;
                    kv = load_k(src_1);
                    vv = load_v(src_1);
                }
            }
            k_tile[min(i, ((((K_TILE * HEAD_DIM) * (1u - REGISTER_ROWS)) + 1u) - 1u))] = kv;
            v_tile[min(i, ((((K_TILE * HEAD_DIM) * (1u - REGISTER_ROWS)) + 1u) - 1u))] = vv;
        }
        memoryBarrierShared();
        barrier();
        if (valid) {
            float tile_max = NEG_BIG;
            for (uint j = 0u; j < K_TILE; j++) {
                uint kp_1 = kt + j;
                float s = NEG_BIG;
                if ((kp_1 <= qp) && ((params.window == 0u) || ((qp - kp_1) < params.window))) {
                    float dot_qk = 0.0;
                    for (uint d_2 = 0u; d_2 < HEAD_DIM; d_2++) {
                        dot_qk += q_tile[min(((d_2 * Q_TILE) + lane), ((((Q_TILE * HEAD_DIM) * (1u - REGISTER_ROWS)) + 1u) - 1u))] * k_tile[min(((j * HEAD_DIM) + d_2), ((((K_TILE * HEAD_DIM) * (1u - REGISTER_ROWS)) + 1u) - 1u))];
                    }
                    s = dot_qk * params.scale;
                }
                p_tile[min(((j * Q_TILE) + lane), ((Q_TILE * K_TILE) - 1u))] = s;
                tile_max = max(tile_max, s);
            }
            float m_new = max(m, tile_max);
            float correction = exp((m - m_new));
            float tile_sum = 0.0;
            for (uint j_1 = 0u; j_1 < K_TILE; j_1++) {
                float s_1 = p_tile[min(((j_1 * Q_TILE) + lane), ((Q_TILE * K_TILE) - 1u))];
                float p = 0.0;
                if (s_1 > NEG_BIG) {
                    p = exp((s_1 - m_new));
                }
                p_tile[min(((j_1 * Q_TILE) + lane), ((Q_TILE * K_TILE) - 1u))] = p;
                tile_sum += p;
            }
            l = (l * correction) + tile_sum;
            for (uint d_3 = 0u; d_3 < HEAD_DIM; d_3++) {
                float a = acc_tile[min(((d_3 * Q_TILE) + lane), ((((Q_TILE * HEAD_DIM) * (1u - REGISTER_ROWS)) + 1u) - 1u))] * correction;
                for (uint j_2 = 0u; j_2 < K_TILE; j_2++) {
                    a += p_tile[min(((j_2 * Q_TILE) + lane), ((Q_TILE * K_TILE) - 1u))] * v_tile[min(((j_2 * HEAD_DIM) + d_3), ((((K_TILE * HEAD_DIM) * (1u - REGISTER_ROWS)) + 1u) - 1u))];
                }
                acc_tile[min(((d_3 * Q_TILE) + lane), ((((Q_TILE * HEAD_DIM) * (1u - REGISTER_ROWS)) + 1u) - 1u))] = a;
            }
            m = m_new;
        }
        memoryBarrierShared();
        barrier();
    }
    if (valid) {
        float scale_out = output_scale(head, m, l);
        for (uint d_4 = 0u; d_4 < HEAD_DIM; d_4++) {
            out_1[min((((t * params.out_stride) + (head * HEAD_DIM)) + d_4), (uint(out_1.length()) - 1u))] = acc_tile[min(((d_4 * Q_TILE) + lane), ((((Q_TILE * HEAD_DIM) * (1u - REGISTER_ROWS)) + 1u) - 1u))] * scale_out;
        }
    }
}

#if defined(CHAINED_LAUNCH)
void chained_launch_body() {
#else
void main() {
#endif
    uvec3 lid = gl_LocalInvocationID;
    uvec3 wid = gl_WorkGroupID;
    #if (OVERRIDE_REGISTER_ROWS == 1)
    main_registers(lid.x, wid);
    #else
    main_shared(lid.x, wid);
    #endif
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
