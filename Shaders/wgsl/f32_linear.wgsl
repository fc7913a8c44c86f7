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
//   6  norm   : array<vec4<f32>>  [cols / 4] RMSNorm weights           read (when NORMALIZE = 1)
// NORMALIZE = 1 (one token only) folds the RMSNorm that precedes the layer into it:
//   y[r] (+)= inv_rms * (W[r] . (x * norm)) + bias[r],  inv_rms = 1 / sqrt(mean(x^2) + eps)
// Each row group sums x^2 over the units it walks anyway (together they cover the row once), so
// the norm costs a second reduction value, not a launch of its own.
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
    eps: f32,
    pad1: u32,
    pad2: u32,
}

const FORMAT_F32: u32 = 0u;
const FORMAT_F16: u32 = 1u;
const FORMAT_BF16: u32 = 2u;
const FORMAT_Q8_0: u32 = 3u;
const FORMAT_MXFP4: u32 = 4u;
const MAX_TOKEN_TILE: u32 = 16u;

override WEIGHT_FORMAT: u32 = 3u;
override WG_SIZE: u32 = 64u;
override THREADS_PER_ROW: u32 = 16u;
override TOKEN_TILE: u32 = 1u;
override NORMALIZE: u32 = 0u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> scales: array<u32>;
@group(0) @binding(2) var<storage, read> data: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<storage, read> norm: array<vec4<f32>>;

var<workgroup> partial_sums: array<f32, WG_SIZE * TOKEN_TILE>;
// One word when NORMALIZE is off (an array may not be empty).
var<workgroup> partial_squares: array<f32, (WG_SIZE - 1u) * NORMALIZE + 1u>;

// Four int8 of a little-endian word as floats.
fn q8x4(w: u32) -> vec4<f32> {
    return vec4<f32>(
        f32(bitcast<i32>(w << 24u) >> 24u),
        f32(bitcast<i32>(w << 16u) >> 24u),
        f32(bitcast<i32>(w << 8u) >> 24u),
        f32(bitcast<i32>(w) >> 24u));
}

// The four nibbles at bit `shift` of each byte of `w` as E2M1 values times 2^-14: each code
// s·e1e0·m is moved into an f16 bit pattern (sign to bit 15, e1e0·m to bits 11..9) whose value
// is exactly the E2M1 value scaled by 2^-14 (e1e0 = 0 lands on f16 subnormals, which
// unpack2x16float converts exactly). A few shifts and masks per pair instead of a branchy
// decode per nibble; the 2^14 goes into the block scale (e8m0_f16).
fn fp4x4(w: u32, shift: u32) -> vec4<f32> {
    let t = (w >> shift) & 0x0f0f0f0fu;
    let lo = (t & 0xfu) | ((t & 0xf00u) << 8u);
    let hi = ((t >> 16u) & 0xfu) | ((t >> 8u) & 0xf0000u);
    let h01 = ((lo & 0x00070007u) << 9u) | ((lo & 0x00080008u) << 12u);
    let h23 = ((hi & 0x00070007u) << 9u) | ((hi & 0x00080008u) << 12u);
    return vec4<f32>(unpack2x16float(h01), unpack2x16float(h23));
}

// 2^(e - 127) · 2^14: the E8M0 block scale times the 2^14 that fp4x4 leaves out. Exponents
// above 240 (scales over 2^113, never seen in real weights) saturate at 2^127.
fn e8m0_f16(e: u32) -> f32 {
    return bitcast<f32>(min(e + 14u, 254u) << 23u);
}

fn bf16x2(w: u32) -> vec2<f32> {
    return vec2<f32>(bitcast<f32>(w << 16u), bitcast<f32>(w & 0xffff0000u));
}

fn half4(w0: u32, w1: u32) -> vec4<f32> {
    return vec4<f32>(unpack2x16float(w0), unpack2x16float(w1));
}

fn bf4(w0: u32, w1: u32) -> vec4<f32> {
    return vec4<f32>(bf16x2(w0), bf16x2(w1));
}

// Word `i` of bound weight row `row` in the data plane.
fn data_word(row: u32, i: u32) -> u32 {
    return data[row * params.data_vec4_per_row + i / 4u][i & 3u];
}

// Decode (one token) walks a row in vec units: one vec4<u32> of the data plane per thread and
// step (16 B, the widest load), neighbouring threads on neighbouring vec4s. A vec unit holds
// 16 Q8_0 quants (half a block), 32 MXFP4 values (a block: word k has elements 4k..4k+3 in its
// low nibbles and 16+4k.. in its high ones), 4 F32 or 8 F16/BF16 values.
fn vec_units_per_row() -> u32 {
    if (WEIGHT_FORMAT == FORMAT_MXFP4) {
        return params.cols / 32u;
    } else if (WEIGHT_FORMAT == FORMAT_Q8_0) {
        return params.cols / 16u;
    } else if (WEIGHT_FORMAT == FORMAT_F32) {
        return params.cols / 4u;
    }
    return params.cols / 8u;
}

// Activation vec4 `j` of the token whose first vec4 is `xv`, times the RMSNorm weights when
// NORMALIZE (the 1 / rms factor is applied to the finished dot product).
fn xin(xv: u32, j: u32) -> vec4<f32> {
    if (NORMALIZE == 1u) {
        return x[xv + j] * norm[j];
    }
    return x[xv + j];
}

// The activation vec4s vec unit `v` meets: the first and how many.
fn vec_unit_x(v: u32) -> vec2<u32> {
    if (WEIGHT_FORMAT == FORMAT_MXFP4) {
        return vec2<u32>(8u * v, 8u);
    } else if (WEIGHT_FORMAT == FORMAT_Q8_0) {
        return vec2<u32>(4u * v, 4u);
    } else if (WEIGHT_FORMAT == FORMAT_F32) {
        return vec2<u32>(v, 1u);
    }
    return vec2<u32>(2u * v, 2u);
}

// Sum of squares of the raw activations vec unit `v` meets (for NORMALIZE's mean(x^2)).
fn vec_unit_squares(v: u32, xv: u32) -> f32 {
    let span = vec_unit_x(v);
    var s = 0.0;
    for (var j = 0u; j < span.y; j += 1u) {
        let a = x[xv + span.x + j];
        s += dot(a, a);
    }
    return s;
}

// Dot product of vec unit `v` (already loaded as `w`) of bound weight row `row` with its
// activations; `xv` is the vec4 index of the token's first activation.
fn vec_unit_dot(row: u32, v: u32, w: vec4<u32>, xv: u32) -> f32 {
    if (WEIGHT_FORMAT == FORMAT_Q8_0) {
        let pair = unpack2x16float(scales[row * params.scale_words_per_row + v / 4u]);
        let d = select(pair.x, pair.y, ((v / 2u) & 1u) == 1u);
        let j = 4u * v;
        return d * (dot(q8x4(w.x), xin(xv, j)) + dot(q8x4(w.y), xin(xv, j + 1u))
                  + dot(q8x4(w.z), xin(xv, j + 2u)) + dot(q8x4(w.w), xin(xv, j + 3u)));
    } else if (WEIGHT_FORMAT == FORMAT_MXFP4) {
        let e = (scales[row * params.scale_words_per_row + v / 4u] >> ((v & 3u) * 8u)) & 255u;
        let j = 8u * v;
        let lo = dot(fp4x4(w.x, 0u), xin(xv, j)) + dot(fp4x4(w.y, 0u), xin(xv, j + 1u))
               + dot(fp4x4(w.z, 0u), xin(xv, j + 2u)) + dot(fp4x4(w.w, 0u), xin(xv, j + 3u));
        let hi = dot(fp4x4(w.x, 4u), xin(xv, j + 4u)) + dot(fp4x4(w.y, 4u), xin(xv, j + 5u))
               + dot(fp4x4(w.z, 4u), xin(xv, j + 6u)) + dot(fp4x4(w.w, 4u), xin(xv, j + 7u));
        return e8m0_f16(e) * (lo + hi);
    } else if (WEIGHT_FORMAT == FORMAT_F32) {
        return dot(bitcast<vec4<f32>>(w), xin(xv, v));
    } else if (WEIGHT_FORMAT == FORMAT_F16) {
        return dot(half4(w.x, w.y), xin(xv, 2u * v)) + dot(half4(w.z, w.w), xin(xv, 2u * v + 1u));
    }
    return dot(bf4(w.x, w.y), xin(xv, 2u * v)) + dot(bf4(w.z, w.w), xin(xv, 2u * v + 1u));
}

// Sum over the vec units lane, lane + THREADS_PER_ROW, … of `row`. Four units a step, and all
// four 16-byte loads are issued before any math: a decode matrix is only a few MB, so each
// thread has just a handful of units and the kernel is bound by how many loads are in flight,
// not by arithmetic. Units past the row's end load its last unit again (in bounds, cached) and
// count zero. Returns the dot product and, when NORMALIZE, the sum of the squared activations
// the thread met (else 0).
fn row_dot(row: u32, lane: u32, xv: u32) -> vec2<f32> {
    let units = vec_units_per_row();
    let last = units - 1u;
    let base = row * params.data_vec4_per_row;
    var s0 = 0.0;
    var s1 = 0.0;
    var squares = 0.0;
    for (var u0 = lane; u0 < units; u0 += 4u * THREADS_PER_ROW) {
        let u1 = min(u0 + THREADS_PER_ROW, last);
        let u2 = min(u0 + 2u * THREADS_PER_ROW, last);
        let u3 = min(u0 + 3u * THREADS_PER_ROW, last);
        let w0 = data[base + u0];
        let w1 = data[base + u1];
        let w2 = data[base + u2];
        let w3 = data[base + u3];
        let has1 = u0 + THREADS_PER_ROW < units;
        let has2 = u0 + 2u * THREADS_PER_ROW < units;
        let has3 = u0 + 3u * THREADS_PER_ROW < units;
        s0 += vec_unit_dot(row, u0, w0, xv);
        s1 += select(0.0, vec_unit_dot(row, u1, w1, xv), has1);
        s0 += select(0.0, vec_unit_dot(row, u2, w2, xv), has2);
        s1 += select(0.0, vec_unit_dot(row, u3, w3, xv), has3);
        if (NORMALIZE == 1u) {
            squares += vec_unit_squares(u0, xv) + select(0.0, vec_unit_squares(u1, xv), has1)
                     + select(0.0, vec_unit_squares(u2, xv), has2) + select(0.0, vec_unit_squares(u3, xv), has3);
        }
    }
    return vec2<f32>(s0 + s1, squares);
}

// Prefill (a tile of tokens) walks a row in word units, each dequantised once for the whole
// tile: Q8_0 one word (4 int8, x vec4 u); MXFP4 one word (low nibbles meet x vec4 unit_x(u),
// high nibbles the vec4 four further); F32 four words; F16/BF16 two words (x vec4 u each).
fn units_per_row() -> u32 {
    if (WEIGHT_FORMAT == FORMAT_MXFP4) {
        return params.cols / 8u;
    }
    return params.cols / 4u;
}

// The weights of word unit `u` of bound row `row`, dequantised once for a tile of tokens: the
// four that meet activation vec4 unit_x(u) (for MXFP4 the low nibbles; unit_weights_hi has its
// high nibbles, which meet vec4 unit_x(u) + 4; zero for the other formats).
fn unit_weights(row: u32, u: u32) -> vec4<f32> {
    if (WEIGHT_FORMAT == FORMAT_Q8_0) {
        let b = u / 8u;
        let pair = unpack2x16float(scales[row * params.scale_words_per_row + b / 2u]);
        return select(pair.x, pair.y, (b & 1u) == 1u) * q8x4(data_word(row, u));
    } else if (WEIGHT_FORMAT == FORMAT_MXFP4) {
        let b = u / 4u;
        let e = (scales[row * params.scale_words_per_row + b / 4u] >> ((b & 3u) * 8u)) & 255u;
        return e8m0_f16(e) * fp4x4(data_word(row, u), 0u);
    } else if (WEIGHT_FORMAT == FORMAT_F32) {
        return bitcast<vec4<f32>>(data[row * params.data_vec4_per_row + u]);
    }
    let i = 2u * u;
    if (WEIGHT_FORMAT == FORMAT_F16) {
        return half4(data_word(row, i), data_word(row, i + 1u));
    }
    return bf4(data_word(row, i), data_word(row, i + 1u));
}

fn unit_weights_hi(row: u32, u: u32) -> vec4<f32> {
    if (WEIGHT_FORMAT == FORMAT_MXFP4) {
        let b = u / 4u;
        let e = (scales[row * params.scale_words_per_row + b / 4u] >> ((b & 3u) * 8u)) & 255u;
        return e8m0_f16(e) * fp4x4(data_word(row, u), 4u);
    }
    return vec4<f32>(0.0);
}

// The activation vec4 (relative to a token's first) that unit_weights(row, u) meets.
fn unit_x(u: u32) -> u32 {
    if (WEIGHT_FORMAT == FORMAT_MXFP4) {
        return (u / 4u) * 8u + (u & 3u);
    }
    return u;
}

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let rows_per_group = WG_SIZE / THREADS_PER_ROW;
    let lane = lid.x % THREADS_PER_ROW;
    let row = wid.x * rows_per_group + lid.x / THREADS_PER_ROW;
    let t0 = wid.y * TOKEN_TILE;
    let x_vec4_stride = params.x_stride / 4u;
    let x_vec4_offset = params.x_offset / 4u;

    var acc: array<f32, MAX_TOKEN_TILE>;
    for (var tt = 0u; tt < TOKEN_TILE; tt += 1u) {
        acc[tt] = 0.0;
    }
    var squares = 0.0;
    if (row < params.rows) {
        let wrow = params.weight_row_offset + row;
        if (TOKEN_TILE == 1u) {
            let sums = row_dot(wrow, lane, x_vec4_offset + t0 * x_vec4_stride);
            acc[0] = sums.x;
            squares = sums.y;
        } else {
            // Dequantise each unit once and apply it to every token of the tile.
            let units = units_per_row();
            for (var u = lane; u < units; u += THREADS_PER_ROW) {
                let w_lo = unit_weights(wrow, u);
                let w_hi = unit_weights_hi(wrow, u);
                let xu = x_vec4_offset + unit_x(u);
                for (var tt = 0u; tt < TOKEN_TILE; tt += 1u) {
                    let t = t0 + tt;
                    if (t < params.n_tokens) {
                        let xi = xu + t * x_vec4_stride;
                        var s = dot(w_lo, x[xi]);
                        if (WEIGHT_FORMAT == FORMAT_MXFP4) {
                            s += dot(w_hi, x[xi + 4u]);
                        }
                        acc[tt] += s;
                    }
                }
            }
        }
    }
    for (var tt = 0u; tt < TOKEN_TILE; tt += 1u) {
        partial_sums[tt * WG_SIZE + lid.x] = acc[tt];
    }
    if (NORMALIZE == 1u) {
        partial_squares[lid.x] = squares;
    }
    workgroupBarrier();
    for (var stride = THREADS_PER_ROW / 2u; stride > 0u; stride = stride / 2u) {
        if (lane < stride) {
            for (var tt = 0u; tt < TOKEN_TILE; tt += 1u) {
                let i = tt * WG_SIZE + lid.x;
                partial_sums[i] = partial_sums[i] + partial_sums[i + stride];
            }
            if (NORMALIZE == 1u) {
                partial_squares[lid.x] = partial_squares[lid.x] + partial_squares[lid.x + stride];
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
                if (NORMALIZE == 1u) {
                    v *= inverseSqrt(partial_squares[lid.x] / f32(params.cols) + params.eps);
                }
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
