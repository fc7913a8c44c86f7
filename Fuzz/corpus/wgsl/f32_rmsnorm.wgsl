// RMSNorm over each token's row: y[t][i] = x[t][i] / sqrt(mean_i(x[t][i]^2) + eps) * weight[i].
//
// Bindings (group 0):
//   0  uniform Params
//   1  x      : array<f32>  token t at x[x_offset + t * x_stride]   read
//   2  weight : array<f32>  [n]                    read
//   3  y      : array<f32>  [n_tokens][y_stride]   write (may not alias x)
// Dispatch: (n_tokens, 1, 1) workgroups of WG_SIZE threads (a power of two); one workgroup a token.
// The sum of squares is reduced in shared memory (no subgroups).

struct Params {
    n: u32,
    n_tokens: u32,
    x_stride: u32,
    y_stride: u32,
    eps: f32,
    x_offset: u32,
    pad1: u32,
    pad2: u32,
}

override WG_SIZE: u32 = 64u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

var<workgroup> partial_sums: array<f32, WG_SIZE>;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let t = wid.x;
    let lane = lid.x;
    let x_base = params.x_offset + t * params.x_stride;
    let y_base = t * params.y_stride;

    var sum = 0.0;
    for (var i = lane; i < params.n; i += WG_SIZE) {
        let v = x[x_base + i];
        sum += v * v;
    }
    partial_sums[lane] = sum;
    workgroupBarrier();
    for (var stride = WG_SIZE / 2u; stride > 0u; stride = stride / 2u) {
        if (lane < stride) {
            partial_sums[lane] = partial_sums[lane] + partial_sums[lane + stride];
        }
        workgroupBarrier();
    }
    let scale = inverseSqrt(partial_sums[0] / f32(params.n) + params.eps);
    for (var i = lane; i < params.n; i += WG_SIZE) {
        y[y_base + i] = x[x_base + i] * scale * weight[i];
    }
}
