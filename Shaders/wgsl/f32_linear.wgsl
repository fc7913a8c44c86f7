// Linear layer with f32 activations: y[t][r] (+)= sum_k W[r][k] * x[t][k] + bias[r], for a tile of
// tokens at once (TOKEN_TILE = 1 is the matrix x vector of decode; larger tiles reuse each weight
// block for several tokens in prefill).
//
// The weight format is the specialisation constant WEIGHT_FORMAT (0 f32, 1 f16, 2 bf16, 3 Q8_0,
// 4 MXFP4). Weights are in the repacked "planes" layout of docs/kernels.md: a row is cols/32
// blocks; the data plane holds VEC4_PER_BLOCK(format) vec4<u32> per block (8 f32, 4 f16/bf16,
// 2 Q8_0 int8, 1 MXFP4 nibbles); Q8_0 and MXFP4 keep their scales in a separate word plane
// (Q8_0: two f16 scales a word; MXFP4: four E8M0 exponent bytes a word), rows padded to 16 bytes.
//
// Bindings (group 0):
//   0  uniform Params
//   1  scales : array<u32>        [rows_bound][scale_words_per_row]   read (unused for float formats)
//   2  data   : array<vec4<u32>>  [rows_bound][data_vec4_per_row]     read
//   3  bias   : array<f32>        [out rows]                          read (when has_bias = 1)
//   4  x      : array<vec4<f32>>  token t at x[(x_offset + t * x_stride) / 4]   read (x_offset, x_stride multiples of 4)
//   5  y      : array<f32>        [n_tokens][y_stride]                read_write
// Row r of this dispatch is bound weight row (weight_row_offset + r) and matrix row
// m = row_base + r: it reads bias[m] and writes y[t * y_stride + out_offset + m]. A matrix split
// into several bound row ranges is one dispatch per range.
// Dispatch: (ceil(rows / (WG_SIZE / THREADS_PER_ROW)), ceil(n_tokens / TOKEN_TILE), 1).
// THREADS_PER_ROW threads share a row (a power of two dividing WG_SIZE) and reduce in shared memory.

struct Params {
    rows: u32,
    cols: u32,
    weight_row_offset: u32,
    row_base: u32,
    n_tokens: u32,
    x_stride: u32,
    y_stride: u32,
    accumulate: u32,
    has_bias: u32,
    scale_words_per_row: u32,
    data_vec4_per_row: u32,
    out_offset: u32,
    x_offset: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

const FORMAT_F32: u32 = 0u;
const FORMAT_F16: u32 = 1u;
const FORMAT_BF16: u32 = 2u;
const FORMAT_Q8_0: u32 = 3u;
const FORMAT_MXFP4: u32 = 4u;
const MAX_TOKEN_TILE: u32 = 8u;

override WEIGHT_FORMAT: u32 = 3u;
override WG_SIZE: u32 = 64u;
override THREADS_PER_ROW: u32 = 16u;
override TOKEN_TILE: u32 = 1u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> scales: array<u32>;
@group(0) @binding(2) var<storage, read> data: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;

var<workgroup> partial_sums: array<f32, WG_SIZE * TOKEN_TILE>;

// Four int8 of a little-endian word as floats.
fn q8x4(w: u32) -> vec4<f32> {
    return vec4<f32>(
        f32(bitcast<i32>(w << 24u) >> 24u),
        f32(bitcast<i32>(w << 16u) >> 24u),
        f32(bitcast<i32>(w << 8u) >> 24u),
        f32(bitcast<i32>(w) >> 24u));
}

// A 4-bit E2M1 code as its doubled value: {0,1,2,3,4,6,8,12} with bit 3 the sign.
fn e2m1x2(code: u32) -> f32 {
    let m = code & 7u;
    var v = f32(m);
    if (m >= 4u) {
        v = f32((2u + (m & 1u)) << ((m >> 1u) - 1u));
    }
    return select(v, -v, (code & 8u) != 0u);
}

// The four nibbles at bit `shift` of each byte of `w`, decoded.
fn fp4x4(w: u32, shift: u32) -> vec4<f32> {
    return vec4<f32>(
        e2m1x2((w >> shift) & 15u),
        e2m1x2((w >> (shift + 8u)) & 15u),
        e2m1x2((w >> (shift + 16u)) & 15u),
        e2m1x2((w >> (shift + 24u)) & 15u));
}

// 2^(e - 128): the E8M0 scale halved to match the doubled E2M1 table (0 below 2^-126).
fn e8m0_half(e: u32) -> f32 {
    return bitcast<f32>(select(0u, (e - 1u) << 23u, e >= 2u));
}

fn bf16x2(w: u32) -> vec2<f32> {
    return vec2<f32>(bitcast<f32>(w << 16u), bitcast<f32>(w & 0xffff0000u));
}

// Dot product of block `b` (32 weights) of bound weight row `row` with the 32 activations at
// vec4 index `xv`.
fn block_dot(row: u32, b: u32, xv: u32) -> f32 {
    if (WEIGHT_FORMAT == FORMAT_Q8_0) {
        let pair = unpack2x16float(scales[row * params.scale_words_per_row + b / 2u]);
        let d = select(pair.x, pair.y, (b & 1u) == 1u);
        let base = row * params.data_vec4_per_row + b * 2u;
        let w0 = data[base];
        let w1 = data[base + 1u];
        let s = dot(q8x4(w0.x), x[xv]) + dot(q8x4(w0.y), x[xv + 1u])
              + dot(q8x4(w0.z), x[xv + 2u]) + dot(q8x4(w0.w), x[xv + 3u])
              + dot(q8x4(w1.x), x[xv + 4u]) + dot(q8x4(w1.y), x[xv + 5u])
              + dot(q8x4(w1.z), x[xv + 6u]) + dot(q8x4(w1.w), x[xv + 7u]);
        return d * s;
    } else if (WEIGHT_FORMAT == FORMAT_MXFP4) {
        let e = (scales[row * params.scale_words_per_row + b / 4u] >> ((b & 3u) * 8u)) & 255u;
        let w = data[row * params.data_vec4_per_row + b];
        let s = dot(fp4x4(w.x, 0u), x[xv]) + dot(fp4x4(w.y, 0u), x[xv + 1u])
              + dot(fp4x4(w.z, 0u), x[xv + 2u]) + dot(fp4x4(w.w, 0u), x[xv + 3u])
              + dot(fp4x4(w.x, 4u), x[xv + 4u]) + dot(fp4x4(w.y, 4u), x[xv + 5u])
              + dot(fp4x4(w.z, 4u), x[xv + 6u]) + dot(fp4x4(w.w, 4u), x[xv + 7u]);
        return e8m0_half(e) * s;
    } else if (WEIGHT_FORMAT == FORMAT_F32) {
        let base = row * params.data_vec4_per_row + b * 8u;
        var s = 0.0;
        for (var i = 0u; i < 8u; i += 1u) {
            s += dot(bitcast<vec4<f32>>(data[base + i]), x[xv + i]);
        }
        return s;
    } else if (WEIGHT_FORMAT == FORMAT_F16) {
        let base = row * params.data_vec4_per_row + b * 4u;
        var s = 0.0;
        for (var i = 0u; i < 4u; i += 1u) {
            let w = data[base + i];
            s += dot(vec4<f32>(unpack2x16float(w.x), unpack2x16float(w.y)), x[xv + 2u * i])
               + dot(vec4<f32>(unpack2x16float(w.z), unpack2x16float(w.w)), x[xv + 2u * i + 1u]);
        }
        return s;
    } else {
        let base = row * params.data_vec4_per_row + b * 4u;
        var s = 0.0;
        for (var i = 0u; i < 4u; i += 1u) {
            let w = data[base + i];
            s += dot(vec4<f32>(bf16x2(w.x), bf16x2(w.y)), x[xv + 2u * i])
               + dot(vec4<f32>(bf16x2(w.z), bf16x2(w.w)), x[xv + 2u * i + 1u]);
        }
        return s;
    }
}

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let rows_per_group = WG_SIZE / THREADS_PER_ROW;
    let lane = lid.x % THREADS_PER_ROW;
    let row = wid.x * rows_per_group + lid.x / THREADS_PER_ROW;
    let t0 = wid.y * TOKEN_TILE;
    let blocks = params.cols / 32u;
    let x_vec4_stride = params.x_stride / 4u;
    let x_vec4_offset = params.x_offset / 4u;

    var acc: array<f32, MAX_TOKEN_TILE>;
    for (var tt = 0u; tt < TOKEN_TILE; tt += 1u) {
        acc[tt] = 0.0;
    }
    if (row < params.rows) {
        let wrow = params.weight_row_offset + row;
        for (var b = lane; b < blocks; b += THREADS_PER_ROW) {
            for (var tt = 0u; tt < TOKEN_TILE; tt += 1u) {
                let t = t0 + tt;
                if (t < params.n_tokens) {
                    acc[tt] += block_dot(wrow, b, x_vec4_offset + t * x_vec4_stride + b * 8u);
                }
            }
        }
    }
    for (var tt = 0u; tt < TOKEN_TILE; tt += 1u) {
        partial_sums[tt * WG_SIZE + lid.x] = acc[tt];
    }
    workgroupBarrier();
    for (var stride = THREADS_PER_ROW / 2u; stride > 0u; stride = stride / 2u) {
        if (lane < stride) {
            for (var tt = 0u; tt < TOKEN_TILE; tt += 1u) {
                let i = tt * WG_SIZE + lid.x;
                partial_sums[i] = partial_sums[i] + partial_sums[i + stride];
            }
        }
        workgroupBarrier();
    }
    if (lane == 0u && row < params.rows) {
        let out_row = params.row_base + row;
        for (var tt = 0u; tt < TOKEN_TILE; tt += 1u) {
            let t = t0 + tt;
            if (t < params.n_tokens) {
                var v = partial_sums[tt * WG_SIZE + lid.x];
                if (params.has_bias == 1u) {
                    v += bias[out_row];
                }
                let o = t * params.y_stride + params.out_offset + out_row;
                if (params.accumulate == 1u) {
                    v += y[o];
                }
                y[o] = v;
            }
        }
    }
}
