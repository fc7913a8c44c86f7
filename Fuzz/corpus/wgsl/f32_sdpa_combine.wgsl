// Attention decode, pass 2 of 2: merges the per-split partial results of
// f32_sdpa_sinks_decode.wgsl with the head's sink logit s (which joins the softmax denominator
// only):  M = max(max_s m_s, s);  L = sum_s l_s e^(m_s - M) + e^(s - M);
//         out[d] = sum_s acc_s[d] e^(m_s - M) / L.
//
// Bindings (group 0):
//   0  uniform Params
//   1  partials : array<f32>  [n_heads][n_splits][HEAD_DIM + 2]   read
//   2  sinks    : array<f32>  [n_heads]                           read
//   3  out      : array<f32>  head h at out[out_offset + h * HEAD_DIM]   write
// Dispatch: (n_heads, 1, 1).

struct Params {
    n_heads: u32,
    n_splits: u32,
    out_offset: u32,
    pad0: u32,
}

override WG_SIZE: u32 = 64u;
override HEAD_DIM: u32 = 64u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read> sinks: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let head = wid.x;
    let record = HEAD_DIM + 2u;
    let base = head * params.n_splits * record;
    let sink = sinks[head];

    var m = sink;
    for (var s = 0u; s < params.n_splits; s += 1u) {
        m = max(m, partials[base + s * record]);
    }
    var total = exp(sink - m);
    for (var s = 0u; s < params.n_splits; s += 1u) {
        let r = base + s * record;
        total += partials[r + 1u] * exp(partials[r] - m);
    }
    for (var d = lid.x; d < HEAD_DIM; d += WG_SIZE) {
        var acc = 0.0;
        for (var s = 0u; s < params.n_splits; s += 1u) {
            let r = base + s * record;
            acc += partials[r + 2u + d] * exp(partials[r] - m);
        }
        out[params.out_offset + head * HEAD_DIM + d] = acc / total;
    }
}
