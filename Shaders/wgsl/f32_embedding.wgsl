// Embedding lookup: x[t][c] = E[token_ids[t]][c], the table in the repacked planes layout of
// f32_linear.wgsl (WEIGHT_FORMAT 0 f32, 1 f16, 2 bf16, 3 Q8_0, 4 MXFP4).
//
// Bindings (group 0):
//   0  uniform Params
//   1  token_ids : array<u32>  [n_tokens]                          read (ids may come from the GPU sampler)
//   2  scales    : array<u32>  [rows_bound][scale_words_per_row]   read (unused for float formats)
//   3  data      : array<u32>  [rows_bound][data_vec4_per_row * 4] read
//   4  x         : array<f32>  [n_tokens][x_stride]                write
// A table split into bound row ranges is one dispatch per range: rows [row_begin, row_end) are
// bound here, and tokens outside the range are left to the other dispatches.
// Dispatch: (ceil(cols / WG_SIZE), n_tokens, 1).

struct Params {
    n_tokens: u32,
    cols: u32,
    row_begin: u32,
    row_end: u32,
    x_stride: u32,
    scale_words_per_row: u32,
    data_vec4_per_row: u32,
    pad0: u32,
}

const FORMAT_F32: u32 = 0u;
const FORMAT_F16: u32 = 1u;
const FORMAT_BF16: u32 = 2u;
const FORMAT_Q8_0: u32 = 3u;
const FORMAT_MXFP4: u32 = 4u;

override WEIGHT_FORMAT: u32 = 3u;
override WG_SIZE: u32 = 64u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> token_ids: array<u32>;
@group(0) @binding(2) var<storage, read> scales: array<u32>;
@group(0) @binding(3) var<storage, read> data: array<u32>;
@group(0) @binding(4) var<storage, read_write> x: array<f32>;

fn e2m1x2(code: u32) -> f32 {
    let m = code & 7u;
    var v = f32(m);
    if (m >= 4u) {
        v = f32((2u + (m & 1u)) << ((m >> 1u) - 1u));
    }
    return select(v, -v, (code & 8u) != 0u);
}

fn e8m0_half(e: u32) -> f32 {
    return bitcast<f32>(select(0u, (e - 1u) << 23u, e >= 2u));
}

// Element c of bound row `row`.
fn element(row: u32, c: u32) -> f32 {
    let words = row * params.data_vec4_per_row * 4u;
    if (WEIGHT_FORMAT == FORMAT_Q8_0) {
        let b = c / 32u;
        let pair = unpack2x16float(scales[row * params.scale_words_per_row + b / 2u]);
        let d = select(pair.x, pair.y, (b & 1u) == 1u);
        let w = data[words + c / 4u];
        let q = bitcast<i32>(w << (24u - 8u * (c & 3u))) >> 24u;
        return d * f32(q);
    } else if (WEIGHT_FORMAT == FORMAT_MXFP4) {
        let b = c / 32u;
        let j = c & 31u;
        let e = (scales[row * params.scale_words_per_row + b / 4u] >> ((b & 3u) * 8u)) & 255u;
        let byte_index = j & 15u;
        let w = data[words + b * 4u + byte_index / 4u];
        let shift = (byte_index & 3u) * 8u + select(0u, 4u, j >= 16u);
        return e8m0_half(e) * e2m1x2((w >> shift) & 15u);
    } else if (WEIGHT_FORMAT == FORMAT_F32) {
        return bitcast<f32>(data[words + c]);
    } else if (WEIGHT_FORMAT == FORMAT_F16) {
        let pair = unpack2x16float(data[words + c / 2u]);
        return select(pair.x, pair.y, (c & 1u) == 1u);
    } else {
        let w = data[words + c / 2u];
        return bitcast<f32>(select(w << 16u, w & 0xffff0000u, (c & 1u) == 1u));
    }
}

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = gid.x;
    let t = gid.y;
    if (c >= params.cols || t >= params.n_tokens) {
        return;
    }
    let id = token_ids[t];
    if (id < params.row_begin || id >= params.row_end) {
        return;
    }
    x[t * params.x_stride + c] = element(id - params.row_begin, c);
}
