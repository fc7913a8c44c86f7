// Sampler reduction over the logits, pass 1 of 2: each workgroup takes a slice of `slice`
// logits and writes its statistics and its k best candidates, so a decode step reads back a
// few hundred bytes (f32_logits_select.wgsl merges the slices) instead of the whole vocabulary.
// With z = logit * inv_temperature and m the slice's largest raw logit:
//   stats[g] = (m, Z = sum e^((v - m) * inv_t), S = sum e^((v - m) * inv_t) * (v - m) * inv_t)
// Candidates follow the order "larger logit first, then lower id": round r picks the best
// candidate that comes after round r-1's pick, so nothing needs to be marked as taken.
//
// Bindings (group 0):
//   0  uniform Params
//   1  logits      : array<f32>  logit i at logits[offset + i], i < n   read
//   2  stats       : array<f32>  [n_groups][4]         write (m, Z, S, unused)
//   3  cand_values : array<f32>  [n_groups][k]         write (-3e38 where the slice has < k logits)
//   4  cand_ids    : array<u32>  [n_groups][k]         write (0xffffffff likewise)
// Dispatch: (n_groups = ceil(n / slice), 1, 1), workgroups of WG_SIZE threads (a power of two).

import package::lib::candidate_order::precedes;

struct Params {
    n: u32,
    slice: u32,
    k: u32,
    inv_temperature: f32,
    offset: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

const NEG_BIG: f32 = -3.0e38;
const NO_ID: u32 = 0xffffffffu;

override WG_SIZE: u32 = 256u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> stats: array<f32>;
@group(0) @binding(3) var<storage, read_write> cand_values: array<f32>;
@group(0) @binding(4) var<storage, read_write> cand_ids: array<u32>;

var<workgroup> red_value: array<f32, WG_SIZE>;
var<workgroup> red_id: array<u32, WG_SIZE>;
var<workgroup> red_extra: array<f32, WG_SIZE>;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let lane = lid.x;
    let group = wid.x;
    let begin = group * params.slice;
    let end = min(begin + params.slice, params.n);

    var local_max = NEG_BIG;
    for (var i = begin + lane; i < end; i += WG_SIZE) {
        local_max = max(local_max, logits[params.offset + i]);
    }
    red_value[lane] = local_max;
    workgroupBarrier();
    for (var stride = WG_SIZE / 2u; stride > 0u; stride = stride / 2u) {
        if (lane < stride) {
            red_value[lane] = max(red_value[lane], red_value[lane + stride]);
        }
        workgroupBarrier();
    }
    let m = red_value[0];
    workgroupBarrier();

    var z_sum = 0.0;
    var s_sum = 0.0;
    for (var i = begin + lane; i < end; i += WG_SIZE) {
        let z = (logits[params.offset + i] - m) * params.inv_temperature;
        let e = exp(z);
        z_sum += e;
        s_sum += e * z;
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
    if (lane == 0u) {
        stats[group * 4u] = m;
        stats[group * 4u + 1u] = red_value[0];
        stats[group * 4u + 2u] = red_extra[0];
        stats[group * 4u + 3u] = 0.0;
    }
    workgroupBarrier();

    var prev_value = 0.0;
    var prev_id = NO_ID;
    for (var round = 0u; round < params.k; round += 1u) {
        var best_v = NEG_BIG;
        var best_i = NO_ID;
        for (var i = begin + lane; i < end; i += WG_SIZE) {
            let v = logits[params.offset + i];
            let eligible = round == 0u || precedes(prev_value, prev_id, v, i);
            if (eligible && precedes(v, i, best_v, best_i)) {
                best_v = v;
                best_i = i;
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
            cand_values[group * params.k + round] = prev_value;
            cand_ids[group * params.k + round] = prev_id;
        }
        workgroupBarrier();
    }
}
