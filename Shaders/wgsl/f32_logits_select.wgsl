// Sampler reduction, pass 2 of 2: merges the slices of f32_logits_reduce.wgsl into one small
// record that the CPU reads back (a few hundred bytes per decode step):
//   result[0] = argmax id, result[1] = bits(max logit), result[2] = bits(lse of z),
//   result[3] = bits(entropy of softmax(z)) (nats), result[4 .. 4+k) = the k best ids,
//   result[4+k .. 4+2k) = bits(their raw logits), best first (ties: lower id first).
// With z = logit * inv_temperature: lse = M * inv_t + ln Z and entropy = ln Z - S / Z, where
//   Z = sum_g Z_g e^((m_g - M) inv_t),  S = sum_g e^((m_g - M) inv_t) (S_g + (m_g - M) inv_t Z_g).
//
// Bindings (group 0):
//   0  uniform Params
//   1  stats       : array<f32>  [n_groups][4]   read
//   2  cand_values : array<f32>  [n_groups][k]   read
//   3  cand_ids    : array<u32>  [n_groups][k]   read
//   4  result      : array<u32>  [4 + 2k]        write
// Dispatch: (1, 1, 1), one workgroup of WG_SIZE threads (a power of two).

import package::lib::candidate_order::precedes;

struct Params {
    n_groups: u32,
    k: u32,
    inv_temperature: f32,
    pad0: u32,
}

const NEG_BIG: f32 = -3.0e38;
const NO_ID: u32 = 0xffffffffu;

override WG_SIZE: u32 = 256u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> stats: array<f32>;
@group(0) @binding(2) var<storage, read> cand_values: array<f32>;
@group(0) @binding(3) var<storage, read> cand_ids: array<u32>;
@group(0) @binding(4) var<storage, read_write> result: array<u32>;

var<workgroup> red_value: array<f32, WG_SIZE>;
var<workgroup> red_id: array<u32, WG_SIZE>;
var<workgroup> red_extra: array<f32, WG_SIZE>;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
    let lane = lid.x;
    let inv_t = params.inv_temperature;

    var local_max = NEG_BIG;
    for (var g = lane; g < params.n_groups; g += WG_SIZE) {
        local_max = max(local_max, stats[g * 4u]);
    }
    red_value[lane] = local_max;
    workgroupBarrier();
    for (var stride = WG_SIZE / 2u; stride > 0u; stride = stride / 2u) {
        if (lane < stride) {
            red_value[lane] = max(red_value[lane], red_value[lane + stride]);
        }
        workgroupBarrier();
    }
    let m_all = red_value[0];
    workgroupBarrier();

    var z_sum = 0.0;
    var s_sum = 0.0;
    for (var g = lane; g < params.n_groups; g += WG_SIZE) {
        let shift = (stats[g * 4u] - m_all) * inv_t;
        let f = exp(shift);
        z_sum += f * stats[g * 4u + 1u];
        s_sum += f * (stats[g * 4u + 2u] + shift * stats[g * 4u + 1u]);
    }
    red_value[lane] = z_sum;
    red_extra[lane] = s_sum;
    workgroupBarrier();
    for (var stride = WG_SIZE / 2u; stride > 0u; stride = stride / 2u) {
        if (lane < stride) {
            red_value[lane] = red_value[lane] + red_value[lane + stride];
            red_extra[lane] = red_extra[lane] + red_extra[lane + stride];
        }
        workgroupBarrier();
    }
    let z_total = red_value[0];
    let s_total = red_extra[0];
    workgroupBarrier();

    let n_cand = params.n_groups * params.k;
    var prev_value = 0.0;
    var prev_id = NO_ID;
    for (var round = 0u; round < params.k; round += 1u) {
        var best_v = NEG_BIG;
        var best_i = NO_ID;
        for (var c = lane; c < n_cand; c += WG_SIZE) {
            let v = cand_values[c];
            let id = cand_ids[c];
            let eligible = id != NO_ID && (round == 0u || precedes(prev_value, prev_id, v, id));
            if (eligible && precedes(v, id, best_v, best_i)) {
                best_v = v;
                best_i = id;
            }
        }
        red_value[lane] = best_v;
        red_id[lane] = best_i;
        workgroupBarrier();
        for (var stride = WG_SIZE / 2u; stride > 0u; stride = stride / 2u) {
            if (lane < stride && precedes(red_value[lane + stride], red_id[lane + stride], red_value[lane], red_id[lane])) {
                red_value[lane] = red_value[lane + stride];
                red_id[lane] = red_id[lane + stride];
            }
            workgroupBarrier();
        }
        prev_value = red_value[0];
        prev_id = red_id[0];
        if (lane == 0u) {
            result[4u + round] = prev_id;
            result[4u + params.k + round] = bitcast<u32>(prev_value);
            if (round == 0u) {
                result[0] = prev_id;
                result[1] = bitcast<u32>(prev_value);
                result[2] = bitcast<u32>(m_all * inv_t + log(z_total));
                result[3] = bitcast<u32>(log(z_total) - s_total / z_total);
            }
        }
        workgroupBarrier();
    }
}
