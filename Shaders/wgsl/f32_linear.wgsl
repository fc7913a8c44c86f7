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
//   7  inv_freq : array<f32>      [head_dim / 2] RoPE frequencies      read (when ROPE = 1)
//   8  k_cache  : array<f32>      [capacity][kv_row_floats]            write (when ROPE = 1)
//   9  v_cache  : array<f32>      as k_cache                           write (when ROPE = 1)
// One token (decode) takes two rows per row group, which share every activation load: rows
// 2g and 2g + 1, or with ROPE = 1 (the fused QKV projection of attention) rows j and
// j + head_dim / 2 of one head, so that the group can apply the NEOX rotation of
// f32_rope_yarn.wgsl itself: heads below q_heads + kv_heads (Q, then K) are rotated at
// `position`, K heads and the V heads after them also go to the f32 KV cache ring at slot
// position % capacity. That saves the RoPE launch of every layer.
// NORMALIZE = 1 (one token only) folds the RMSNorm that precedes the layer into it:
//   y[r] (+)= inv_rms * (W[r] . (x * norm)) + bias[r],  inv_rms = 1 / sqrt(mean(x^2) + eps)
// Each row group sums x^2 over the units it walks anyway (together they cover the row once), so
// the norm costs a second reduction value, not a launch of its own.
// Row r of this dispatch is bound weight row (weight_row_offset + r) and matrix row
// m = row_base + r: it reads bias[m] and writes y[t * y_stride + out_offset + m]. A matrix split
// into several bound row ranges is one dispatch per range.
// Dispatch: (ceil(rows / (WG_SIZE / THREADS_PER_ROW)), ceil(n_tokens / TOKEN_TILE), 1).
// THREADS_PER_ROW threads share a row (a power of two dividing WG_SIZE) and reduce in shared memory,
// or, in decode with SUBGROUPS = 1, with one subgroupAdd: the host sets SUBGROUPS = 1 only where
// the device has subgroup arithmetic in compute shaders, its subgroup size equals THREADS_PER_ROW
// and divides WG_SIZE, so that each row group is exactly one subgroup. That relies on the usual
// mapping of a one-dimensional workgroup to subgroups: invocations
// [k * subgroup size, (k + 1) * subgroup size) of local_invocation_index form subgroup k (what
// NVIDIA, AMD and Intel drivers do; GLSL does not promise it). With SUBGROUPS = 0 the subgroup code
// is preprocessed away (translator: an override-only `if` becomes `#if`), so the kernel compiles
// on drivers without GL_KHR_shader_subgroup.

import package::lib::weight_formats::{FORMAT_F32, FORMAT_F16, FORMAT_Q8_0, FORMAT_MXFP4, fp4x4, bf16x2};
import package::lib::row_units::{q8x4, e8m0_f16, units_per_row, unit_x, unit_load, unit_inputs, unit_dot_with};

enable subgroups;

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
    position: u32,
    head_dim: u32,
    q_heads: u32,
    kv_heads: u32,
    capacity: u32,
    kv_row_floats: u32,
    concentration: f32,
    pad3: u32,
}

const MAX_TOKEN_TILE: u32 = 16u;

override WEIGHT_FORMAT: u32 = 3u;
override WG_SIZE: u32 = 64u;
override THREADS_PER_ROW: u32 = 16u;
override TOKEN_TILE: u32 = 1u;
override NORMALIZE: u32 = 0u;
override ROPE: u32 = 0u;
// 1: decode reduces each row group with subgroupAdd (see the top of the file); 0: shared memory.
override SUBGROUPS: u32 = 0u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> scales: array<u32>;
@group(0) @binding(2) var<storage, read> data: array<u32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<storage, read> norm: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read> inv_freq: array<f32>;
@group(0) @binding(8) var<storage, read_write> k_cache: array<f32>;
@group(0) @binding(9) var<storage, read_write> v_cache: array<f32>;

// TOKEN_TILE sums a thread in prefill, two (a row pair) in decode.
var<workgroup> partial_sums: array<f32, WG_SIZE * (TOKEN_TILE + 1u)>;
// One word when NORMALIZE is off (an array may not be empty).
var<workgroup> partial_squares: array<f32, (WG_SIZE - 1u) * NORMALIZE + 1u>;

// Activation vec4 `j` of the token whose first vec4 is `xv`, times the RMSNorm weights when
// NORMALIZE (the 1 / rms factor is applied to the finished dot product).
fn xin(xv: u32, j: u32) -> vec4<f32> {
    if (NORMALIZE == 1u) {
        return x[xv + j] * norm[j];
    }
    return x[xv + j];
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

// Decode: the sums of rows `row_a` and `row_b` over the units lane, lane + THREADS_PER_ROW, …,
// four units of each a round, every load of the round (data words, scale words, activations;
// lib/row_units.wesl says why) issued before any of their math (a decode matrix is a few MB,
// each thread has only a few dozen words, and the kernel is bound by loads in flight and
// launches, not arithmetic). This is row_pair_dot of lib/row_units.wesl plus NORMALIZE's sum of
// squares. Named variables, not an array: an indexed array may
// live in local memory (on the H200 a 16-entry one halved the decode rate). The two rows meet
// the same activations, loaded once. Units past the row's end load its last unit again (in
// bounds, cached) and count zero. Returns both dot products and, when NORMALIZE, the sum of
// the squared activations the thread met (else 0).
fn pair_dot(row_a: u32, row_b: u32, lane: u32, xv: u32) -> vec3<f32> {
    let units = units_per_row();
    let last = units - 1u;
    let words_a = row_a * params.data_vec4_per_row * 4u;
    let words_b = row_b * params.data_vec4_per_row * 4u;
    var s = vec2<f32>(0.0);
    var squares = 0.0;
    for (var u0 = lane; u0 < units; u0 += 4u * THREADS_PER_ROW) {
        let u1 = min(u0 + THREADS_PER_ROW, last);
        let u2 = min(u0 + 2u * THREADS_PER_ROW, last);
        let u3 = min(u0 + 3u * THREADS_PER_ROW, last);
        let a0 = unit_load(words_a, u0);
        let b0 = unit_load(words_b, u0);
        let a1 = unit_load(words_a, u1);
        let b1 = unit_load(words_b, u1);
        let a2 = unit_load(words_a, u2);
        let b2 = unit_load(words_b, u2);
        let a3 = unit_load(words_a, u3);
        let b3 = unit_load(words_b, u3);
        let ia0 = unit_inputs(row_a, u0, xv);
        let ib0 = unit_inputs(row_b, u0, xv);
        let ia1 = unit_inputs(row_a, u1, xv);
        let ib1 = unit_inputs(row_b, u1, xv);
        let ia2 = unit_inputs(row_a, u2, xv);
        let ib2 = unit_inputs(row_b, u2, xv);
        let ia3 = unit_inputs(row_a, u3, xv);
        let ib3 = unit_inputs(row_b, u3, xv);
        let has1 = u0 + THREADS_PER_ROW < units;
        let has2 = u0 + 2u * THREADS_PER_ROW < units;
        let has3 = u0 + 3u * THREADS_PER_ROW < units;
        s += vec2<f32>(unit_dot_with(u0, a0, ia0), unit_dot_with(u0, b0, ib0));
        s += select(vec2<f32>(0.0), vec2<f32>(unit_dot_with(u1, a1, ia1), unit_dot_with(u1, b1, ib1)), has1);
        s += select(vec2<f32>(0.0), vec2<f32>(unit_dot_with(u2, a2, ia2), unit_dot_with(u2, b2, ib2)), has2);
        s += select(vec2<f32>(0.0), vec2<f32>(unit_dot_with(u3, a3, ia3), unit_dot_with(u3, b3, ib3)), has3);
        if (NORMALIZE == 1u) {
            squares += unit_squares(u0, xv) + select(0.0, unit_squares(u1, xv), has1)
                     + select(0.0, unit_squares(u2, xv), has2) + select(0.0, unit_squares(u3, xv), has3);
        }
    }
    return vec3<f32>(s, squares);
}

// The two rows of decode row group `group` and whether the second one exists.
fn decode_rows(group: u32) -> vec3<u32> {
    if (ROPE == 1u) {
        let half = params.head_dim / 2u;
        let first = (group / half) * params.head_dim + group % half;
        return vec3<u32>(first, first + half, 1u);
    }
    let first = 2u * group;
    return vec3<u32>(first, min(first + 1u, params.rows - 1u), select(0u, 1u, first + 1u < params.rows));
}

// ROPE: rotates the finished pair (rows j and j + head_dim / 2 of head `group / (head_dim / 2)`)
// if it belongs to a Q or K head, writes it, and appends K and V heads to the cache.
fn write_rotated(group: u32, rows: vec3<u32>, v: vec2<f32>) {
    let half = params.head_dim / 2u;
    let head = group / half;
    let j = group % half;
    var r = v;
    if (head < params.q_heads + params.kv_heads) {
        let angle = f32(params.position) * inv_freq[j];
        let c = cos(angle) * params.concentration;
        let s = sin(angle) * params.concentration;
        r = vec2<f32>(v.x * c - v.y * s, v.y * c + v.x * s);
    }
    y[params.out_offset + rows.x] = r.x;
    y[params.out_offset + rows.y] = r.y;
    if (head >= params.q_heads) {
        let kv_head = (head - params.q_heads) % params.kv_heads;
        let dst = (params.position % params.capacity) * params.kv_row_floats + kv_head * params.head_dim + j;
        if (head < params.q_heads + params.kv_heads) {
            k_cache[dst] = r.x;
            k_cache[dst + half] = r.y;
        } else {
            v_cache[dst] = r.x;
            v_cache[dst + half] = r.y;
        }
    }
}

// One token: row group `group` of workgroup `wg` computes its pair of rows.
fn decode_step(lidx: u32, wg: u32) {
    let lane = lidx % THREADS_PER_ROW;
    let group = wg * (WG_SIZE / THREADS_PER_ROW) + lidx / THREADS_PER_ROW;
    let pairs = (params.rows + 1u) / 2u;
    let valid = group < pairs;
    let rows = decode_rows(min(group, pairs - 1u));
    var sums = vec3<f32>(0.0);
    if (valid) {
        sums = pair_dot(params.weight_row_offset + rows.x, params.weight_row_offset + rows.y, lane, params.x_offset / 4u);
    }
    // The row group's two dot products and sum of squares (valid in lane 0 at least).
    var total = vec3<f32>(0.0);
    if (SUBGROUPS == 1u) {
        // The row group is one subgroup: no shared memory, no barrier.
        let pair = subgroupAdd(sums.xy);
        total = vec3<f32>(pair.x, pair.y, 0.0);
        if (NORMALIZE == 1u) {
            total.z = subgroupAdd(sums.z);
        }
    } else {
        partial_sums[lidx] = sums.x;
        partial_sums[WG_SIZE + lidx] = sums.y;
        if (NORMALIZE == 1u) {
            partial_squares[lidx] = sums.z;
        }
        workgroupBarrier();
        for (var stride = THREADS_PER_ROW / 2u; stride > 0u; stride = stride / 2u) {
            if (lane < stride) {
                partial_sums[lidx] = partial_sums[lidx] + partial_sums[lidx + stride];
                partial_sums[WG_SIZE + lidx] = partial_sums[WG_SIZE + lidx] + partial_sums[WG_SIZE + lidx + stride];
                if (NORMALIZE == 1u) {
                    partial_squares[lidx] = partial_squares[lidx] + partial_squares[lidx + stride];
                }
            }
            workgroupBarrier();
        }
        total = vec3<f32>(partial_sums[lidx], partial_sums[WG_SIZE + lidx], 0.0);
        if (NORMALIZE == 1u) {
            total.z = partial_squares[lidx];
        }
    }
    if (lane == 0u && valid) {
        var v = total.xy;
        if (NORMALIZE == 1u) {
            v *= inverseSqrt(total.z / f32(params.cols) + params.eps);
        }
        let out_rows = vec2<u32>(params.row_base + rows.x, params.row_base + rows.y);
        if (params.has_bias == 1u) {
            v += vec2<f32>(bias[out_rows.x], bias[out_rows.y]);
        }
        if (ROPE == 1u) {
            write_rotated(group, rows, v);
            return;
        }
        let o = vec2<u32>(params.out_offset) + out_rows;
        if (params.accumulate == 1u) {
            v += vec2<f32>(y[o.x], y[o.y]);
        }
        y[o.x] = v.x;
        if (rows.z == 1u) {
            y[o.y] = v.y;
        }
    }
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
    if (TOKEN_TILE == 1u) {
        decode_step(lid.x, wid.x);
    } else {
        prefill_step(lid.x, wid);
    }
}

// A tile of tokens: each row group computes one row for TOKEN_TILE tokens.
fn prefill_step(lidx: u32, wid: vec3<u32>) {
    let rows_per_group = WG_SIZE / THREADS_PER_ROW;
    let lane = lidx % THREADS_PER_ROW;
    let row = wid.x * rows_per_group + lidx / THREADS_PER_ROW;
    let t0 = wid.y * TOKEN_TILE;
    let x_vec4_stride = params.x_stride / 4u;
    let x_vec4_offset = params.x_offset / 4u;

    var acc: array<f32, MAX_TOKEN_TILE>;
    for (var tt = 0u; tt < TOKEN_TILE; tt += 1u) {
        acc[tt] = 0.0;
    }
    if (row < params.rows) {
        let wrow = params.weight_row_offset + row;
        {
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
        partial_sums[tt * WG_SIZE + lidx] = acc[tt];
    }
    workgroupBarrier();
    for (var stride = THREADS_PER_ROW / 2u; stride > 0u; stride = stride / 2u) {
        if (lane < stride) {
            for (var tt = 0u; tt < TOKEN_TILE; tt += 1u) {
                let i = tt * WG_SIZE + lidx;
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
                var v = partial_sums[tt * WG_SIZE + lidx];
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
