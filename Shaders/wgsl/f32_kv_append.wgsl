// KV-cache append: copies the keys and values of n_tokens new tokens (positions position0 ...)
// into a ring of `capacity` slots, slot = position % capacity. A full-attention layer has
// capacity >= context length (the ring never wraps); a sliding layer needs only the window.
// When a batch is longer than the ring, only its last `capacity` tokens are written
// (first_token = n_tokens - capacity), so no two threads write one slot.
// The cache stores f32: row layout [capacity][row_floats] with row_floats = kv_heads * head_dim.
//
// Bindings (group 0):
//   0  uniform Params
//   1  k_src   : array<f32>  k of token t at k_src[t * src_stride + k_offset + i]   read
//   2  v_src   : array<f32>  v of token t at v_src[t * src_stride + v_offset + i]   read
//   3  k_cache : array<f32>  [capacity][row_floats]   write
//   4  v_cache : array<f32>  [capacity][row_floats]   write
// Dispatch: (ceil(row_floats / WG_SIZE), n_tokens, 1).

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

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> k_src: array<f32>;
@group(0) @binding(2) var<storage, read> v_src: array<f32>;
@group(0) @binding(3) var<storage, read_write> k_cache: array<f32>;
@group(0) @binding(4) var<storage, read_write> v_cache: array<f32>;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    let t = gid.y;
    if (i >= params.row_floats || t >= params.n_tokens || t < params.first_token) {
        return;
    }
    let slot = (params.position0 + t) % params.capacity;
    let dst = slot * params.row_floats + i;
    let src = t * params.src_stride + i;
    k_cache[dst] = k_src[src + params.k_offset];
    v_cache[dst] = v_src[src + params.v_offset];
}
