// KV-cache append: copies the keys and values of n_tokens new tokens (positions position0 ...)
// into a ring of `capacity` slots, slot = position % capacity. A full-attention layer has
// capacity >= context length (the ring never wraps); a sliding layer needs only the window.
// When a batch is longer than the ring, only its last `capacity` tokens are written
// (first_token = n_tokens - capacity), so no two threads write one slot.
// Row layout [capacity][row_floats] with row_floats = kv_heads * head_dim, stored as f32 bits
// (KV_HALF = 0, one u32 a value) or as f16 pairs packed by pack2x16float (KV_HALF = 1, value 2i
// in the low half of word i; row_floats must be even).
//
// Bindings (group 0):
//   0  uniform Params
//   1  k_src   : array<f32>  k of token t at k_src[t * src_stride + k_offset + i]   read
//   2  v_src   : array<f32>  v of token t at v_src[t * src_stride + v_offset + i]   read
//   3  k_cache : array<u32>  [capacity][row words]   write
//   4  v_cache : array<u32>  [capacity][row words]   write
// Dispatch: (ceil(row words / WG_SIZE), n_tokens, 1); row words = row_floats (f32) or row_floats / 2.

struct Params {
    n_tokens: u32,
    row_floats: u32,
    position0: u32,
    capacity: u32,
    src_stride: u32,
    k_offset: u32,
    v_offset: u32,
    first_token: u32,
}

override WG_SIZE: u32 = 64u;
override KV_HALF: u32 = 0u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> k_src: array<f32>;
@group(0) @binding(2) var<storage, read> v_src: array<f32>;
@group(0) @binding(3) var<storage, read_write> k_cache: array<u32>;
@group(0) @binding(4) var<storage, read_write> v_cache: array<u32>;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    let t = gid.y;
    let row_words = select(params.row_floats, params.row_floats / 2u, KV_HALF == 1u);
    if (i >= row_words || t >= params.n_tokens || t < params.first_token) {
        return;
    }
    let slot = (params.position0 + t) % params.capacity;
    let dst = slot * row_words + i;
    let src = t * params.src_stride;
    if (KV_HALF == 1u) {
        let k0 = src + params.k_offset + 2u * i;
        let v0 = src + params.v_offset + 2u * i;
        k_cache[dst] = pack2x16float(vec2<f32>(k_src[k0], k_src[k0 + 1u]));
        v_cache[dst] = pack2x16float(vec2<f32>(v_src[v0], v_src[v0 + 1u]));
    } else {
        k_cache[dst] = bitcast<u32>(k_src[src + params.k_offset + i]);
        v_cache[dst] = bitcast<u32>(v_src[src + params.v_offset + i]);
    }
}
