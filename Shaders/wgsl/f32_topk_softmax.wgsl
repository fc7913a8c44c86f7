// Router: for each token, the k largest of n_experts logits (ties: the lower expert id first),
// then a softmax over those k raw logits. Writes the chosen ids and weights for the expert
// kernels, which read them on the GPU.
//
// Bindings (group 0):
//   0  uniform Params
//   1  logits  : array<f32>  [n_tokens][n_experts]   read
//   2  ids     : array<u32>  [n_tokens][k]           write (descending logit order)
//   3  weights : array<f32>  [n_tokens][k]           write
// Dispatch: (n_tokens, 1, 1), workgroups of WG_SIZE threads (a power of two >= n_experts);
// k <= 32. Each round is an argmax reduction in shared memory.

struct Params {
    n_tokens: u32,
    n_experts: u32,
    k: u32,
    pad0: u32,
}

const NEG_BIG: f32 = -3.0e38;
const MAX_K: u32 = 32u;

override WG_SIZE: u32 = 32u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> ids: array<u32>;
@group(0) @binding(3) var<storage, read_write> weights: array<f32>;

var<workgroup> best_value: array<f32, WG_SIZE>;
var<workgroup> best_index: array<u32, WG_SIZE>;
var<workgroup> chosen_value: array<f32, MAX_K>;
var<workgroup> chosen_index: array<u32, MAX_K>;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let t = wid.x;
    let lane = lid.x;
    var mine = NEG_BIG;
    var available = lane < params.n_experts;
    if (available) {
        mine = logits[t * params.n_experts + lane];
    }
    for (var round = 0u; round < params.k; round += 1u) {
        best_value[lane] = select(NEG_BIG, mine, available);
        best_index[lane] = select(0xffffffffu, lane, available);
        workgroupBarrier();
        for (var stride = WG_SIZE / 2u; stride > 0u; stride = stride / 2u) {
            if (lane < stride) {
                let v = best_value[lane + stride];
                let i = best_index[lane + stride];
                let cur = best_value[lane];
                let cur_i = best_index[lane];
                if (v > cur || (v == cur && i < cur_i)) {
                    best_value[lane] = v;
                    best_index[lane] = i;
                }
            }
            workgroupBarrier();
        }
        let winner = best_index[0];
        if (lane == 0u) {
            chosen_value[round] = best_value[0];
            chosen_index[round] = winner;
        }
        if (winner == lane) {
            available = false;
        }
        workgroupBarrier();
    }
    if (lane == 0u) {
        let m = chosen_value[0];
        var total = 0.0;
        for (var j = 0u; j < params.k; j += 1u) {
            total += exp(chosen_value[j] - m);
        }
        for (var j = 0u; j < params.k; j += 1u) {
            ids[t * params.k + j] = chosen_index[j];
            weights[t * params.k + j] = exp(chosen_value[j] - m) / total;
        }
    }
}
