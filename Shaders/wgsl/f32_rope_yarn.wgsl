// Rotary position embedding, NEOX pairing (dim j with dim j + head_dim/2), in place, with YaRN
// folded into the host-computed inverse frequencies and the attention concentration factor
// multiplying cos and sin. Token t sits at position position0 + t.
//   a = pos * inv_freq[j]; c = cos(a) * concentration; s = sin(a) * concentration
//   x'[j] = x[j] * c - x[j + h] * s;  x'[j + h] = x[j + h] * c + x[j] * s   (h = head_dim / 2)
//
// Bindings (group 0):
//   0  uniform Params
//   1  inv_freq : array<f32>  [head_dim / 2]   read
//   2  x        : array<f32>  head n of token t at x[t * stride + offset + n * head_dim]   read_write
//   3  k_cache  : array<u32>  [capacity][kv_row_floats] f32 bits   write (append_from_head < n_heads)
//   4  v_cache  : array<u32>  as k_cache                           write (append_from_head < n_heads)
// With append_from_head < n_heads (a decode step), heads from there on are the K heads: their
// rotated values also go to the KV cache at slot (position0 + t) % capacity, and the V values
// value_delta floats after them are copied there too, so no separate append launch is needed.
// Dispatch: (ceil(n_heads * head_dim / 2 / WG_SIZE), n_tokens, 1).

struct Params {
    n_tokens: u32,
    n_heads: u32,
    head_dim: u32,
    position0: u32,
    stride: u32,
    offset: u32,
    concentration: f32,
    append_from_head: u32,
    capacity: u32,
    kv_row_floats: u32,
    value_delta: u32,
    pad0: u32,
}

override WG_SIZE: u32 = 64u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> inv_freq: array<f32>;
@group(0) @binding(2) var<storage, read_write> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> k_cache: array<u32>;
@group(0) @binding(4) var<storage, read_write> v_cache: array<u32>;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let half_dim = params.head_dim / 2u;
    let t = gid.y;
    if (gid.x >= params.n_heads * half_dim || t >= params.n_tokens) {
        return;
    }
    let head = gid.x / half_dim;
    let j = gid.x % half_dim;
    let angle = f32(params.position0 + t) * inv_freq[j];
    let c = cos(angle) * params.concentration;
    let s = sin(angle) * params.concentration;
    let i = t * params.stride + params.offset + head * params.head_dim + j;
    let a = x[i];
    let b = x[i + half_dim];
    let ra = a * c - b * s;
    let rb = b * c + a * s;
    x[i] = ra;
    x[i + half_dim] = rb;
    if (head >= params.append_from_head) {
        let slot = (params.position0 + t) % params.capacity;
        let dst = slot * params.kv_row_floats + (head - params.append_from_head) * params.head_dim + j;
        k_cache[dst] = bitcast<u32>(ra);
        k_cache[dst + half_dim] = bitcast<u32>(rb);
        v_cache[dst] = bitcast<u32>(x[i + params.value_delta]);
        v_cache[dst + half_dim] = bitcast<u32>(x[i + half_dim + params.value_delta]);
    }
}
