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
//   2  data   : array<u32>        [rows_bound][data_vec4_per_row * 4]  read
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
@group(0) @binding(2) var<storage, read> data: array<u32>;
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

// Activation vec4 `j` of the token whose first vec4 is `xv`, times the RMSNorm weights when
// NORMALIZE (the 1 / rms factor is applied to the finished dot product).
fn xin(xv: u32, j: u32) -> vec4<f32> {
    if (NORMALIZE == 1u) {
        return x[xv + j] * norm[j];
    }
    return x[xv + j];
}

// A row is walked in word units: the slice one thread takes per step, chosen so that
// neighbouring threads read neighbouring words of the data plane and neighbouring activations
// (each load instruction of a warp touches one contiguous span). A 16-byte unit per thread was
// tried and was slower on the H200: its activation loads then stride 64-128 bytes across a warp.
// Q8_0: one word (4 int8, x vec4 u); MXFP4: one word (its low nibbles are elements 4k..4k+3 of
// block u/4 and meet x vec4 unit_x(u), its high nibbles elements 16+4k.. and vec4 unit_x(u) + 4,
// k = u % 4); F32: four words; F16/BF16: two words (x vec4 u each).
fn units_per_row() -> u32 {
    if (WEIGHT_FORMAT == FORMAT_MXFP4) {
        return params.cols / 8u;
    }
    return params.cols / 4u;
}

// The activation vec4 (relative to a token's first) that unit `u`'s (low) weights meet.
fn unit_x(u: u32) -> u32 {
    if (WEIGHT_FORMAT == FORMAT_MXFP4) {
        return (u / 4u) * 8u + (u & 3u);
    }
    return u;
}

// The data words of unit `u` of the row whose first data word is `words` (those the format
// uses; the rest zero).
fn unit_load(words: u32, u: u32) -> vec4<u32> {
    if (WEIGHT_FORMAT == FORMAT_Q8_0 || WEIGHT_FORMAT == FORMAT_MXFP4) {
        return vec4<u32>(data[words + u], 0u, 0u, 0u);
    } else if (WEIGHT_FORMAT == FORMAT_F32) {
        let i = words + 4u * u;
        return vec4<u32>(data[i], data[i + 1u], data[i + 2u], data[i + 3u]);
    }
    let i = words + 2u * u;
    return vec4<u32>(data[i], data[i + 1u], 0u, 0u);
}

// Unit `u` of bound weight row `row`, already loaded as `w`, times its activations; `xv` is the
// vec4 index of the token's first activation.
fn unit_dot(row: u32, u: u32, w: vec4<u32>, xv: u32) -> f32 {
    if (WEIGHT_FORMAT == FORMAT_Q8_0) {
        let b = u / 8u;
        let pair = unpack2x16float(scales[row * params.scale_words_per_row + b / 2u]);
        let d = select(pair.x, pair.y, (b & 1u) == 1u);
        return d * dot(q8x4(w.x), xin(xv, u));
    } else if (WEIGHT_FORMAT == FORMAT_MXFP4) {
        let b = u / 4u;
        let e = (scales[row * params.scale_words_per_row + b / 4u] >> ((b & 3u) * 8u)) & 255u;
        let j = unit_x(u);
        return e8m0_f16(e) * (dot(fp4x4(w.x, 0u), xin(xv, j)) + dot(fp4x4(w.x, 4u), xin(xv, j + 4u)));
    } else if (WEIGHT_FORMAT == FORMAT_F32) {
        return dot(bitcast<vec4<f32>>(w), xin(xv, u));
    } else if (WEIGHT_FORMAT == FORMAT_F16) {
        return dot(vec4<f32>(unpack2x16float(w.x), unpack2x16float(w.y)), xin(xv, u));
    }
    return dot(vec4<f32>(bf16x2(w.x), bf16x2(w.y)), xin(xv, u));
}

// Sum of squares of the raw activations unit `u` meets (for NORMALIZE's mean(x^2)).
fn unit_squares(u: u32, xv: u32) -> f32 {
    let a = x[xv + unit_x(u)];
    if (WEIGHT_FORMAT == FORMAT_MXFP4) {
        let b = x[xv + unit_x(u) + 4u];
        return dot(a, a) + dot(b, b);
    }
    return dot(a, a);
}

// Decode: the sum over the units lane, lane + THREADS_PER_ROW, … of `row`, four units a round
// whose loads are all issued before any of their math (a decode matrix is a few MB, each thread
// has only a few dozen words, and the kernel is bound by loads in flight, not arithmetic). Named
// variables, not an array: an indexed array may live in local memory (on the H200 a 16-entry
// one halved the decode rate). Units past the row's end load its last unit again (in bounds,
// cached) and count zero. Returns the dot product and, when NORMALIZE, the sum of the squared
// activations the thread met (else 0).
fn row_dot(row: u32, lane: u32, xv: u32) -> vec2<f32> {
    let units = units_per_row();
    let last = units - 1u;
    let words = row * params.data_vec4_per_row * 4u;
    var s0 = 0.0;
    var s1 = 0.0;
    var squares = 0.0;
    for (var u0 = lane; u0 < units; u0 += 4u * THREADS_PER_ROW) {
        let u1 = u0 + THREADS_PER_ROW;
        let u2 = u0 + 2u * THREADS_PER_ROW;
        let u3 = u0 + 3u * THREADS_PER_ROW;
        let w0 = unit_load(words, u0);
        let w1 = unit_load(words, min(u1, last));
        let w2 = unit_load(words, min(u2, last));
        let w3 = unit_load(words, min(u3, last));
        s0 += unit_dot(row, u0, w0, xv);
        s1 += select(0.0, unit_dot(row, min(u1, last), w1, xv), u1 < units);
        s0 += select(0.0, unit_dot(row, min(u2, last), w2, xv), u2 < units);
        s1 += select(0.0, unit_dot(row, min(u3, last), w3, xv), u3 < units);
        if (NORMALIZE == 1u) {
            squares += unit_squares(u0, xv) + select(0.0, unit_squares(min(u1, last), xv), u1 < units)
                     + select(0.0, unit_squares(min(u2, last), xv), u2 < units)
                     + select(0.0, unit_squares(min(u3, last), xv), u3 < units);
        }
    }
    return vec2<f32>(s0 + s1, squares);
}

// Prefill: the weights of unit `u` of bound row `row`, dequantised once for a tile of tokens:
// the four that meet activation vec4 unit_x(u) (for MXFP4 the low nibbles; unit_weights_hi has
// its high nibbles, which meet vec4 unit_x(u) + 4; zero for the other formats).
fn unit_weights(row: u32, u: u32) -> vec4<f32> {
    let w = unit_load(row * params.data_vec4_per_row * 4u, u);
    if (WEIGHT_FORMAT == FORMAT_Q8_0) {
        let b = u / 8u;
        let pair = unpack2x16float(scales[row * params.scale_words_per_row + b / 2u]);
        return select(pair.x, pair.y, (b & 1u) == 1u) * q8x4(w.x);
    } else if (WEIGHT_FORMAT == FORMAT_MXFP4) {
        let b = u / 4u;
        let e = (scales[row * params.scale_words_per_row + b / 4u] >> ((b & 3u) * 8u)) & 255u;
        return e8m0_f16(e) * fp4x4(w.x, 0u);
    } else if (WEIGHT_FORMAT == FORMAT_F32) {
        return bitcast<vec4<f32>>(w);
    } else if (WEIGHT_FORMAT == FORMAT_F16) {
        return vec4<f32>(unpack2x16float(w.x), unpack2x16float(w.y));
    }
    return vec4<f32>(bf16x2(w.x), bf16x2(w.y));
}

fn unit_weights_hi(row: u32, u: u32) -> vec4<f32> {
    if (WEIGHT_FORMAT == FORMAT_MXFP4) {
        let b = u / 4u;
        let e = (scales[row * params.scale_words_per_row + b / 4u] >> ((b & 3u) * 8u)) & 255u;
        return e8m0_f16(e) * fp4x4(data[row * params.data_vec4_per_row * 4u + u], 4u);
    }
    return vec4<f32>(0.0);
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
