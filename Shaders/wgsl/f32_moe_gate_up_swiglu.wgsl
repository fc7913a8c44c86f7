// Mixture-of-experts gate/up projection with the SwiGLU of GPT-OSS, for the k experts each token
// chose (ids read from a GPU buffer written by f32_topk_softmax.wgsl):
//   g = Wgate_e . x + bgate_e;  u = Wup_e . x + bup_e;  g' = min(g, 7);  u' = clamp(u, -7, 7)
//   out[t][j][r] = g' * sigmoid(1.702 * g') * (u' + 1)          (e = ids[t][j])
// Weights: gate and up of an expert are fused into one planes tensor of 2*rows rows per expert
// (gate rows first, then up rows), formats as in f32_linear.wgsl (WEIGHT_FORMAT). An expert
// tensor larger than the binding limit is bound in expert ranges [expert_begin, expert_end),
// one dispatch per range; a workgroup whose expert lies outside the bound range does nothing.
//
// Bindings (group 0):
//   0  uniform Params
//   1  scales : array<u32>        [bound experts * 2 * rows][scale_words_per_row]   read
//   2  data   : array<u32>        [bound experts * 2 * rows][data_vec4_per_row]     read
//   3  bias   : array<f32>        [n_experts][2 * rows] (gate bias, then up bias)   read (has_bias = 1)
//   4  x      : array<vec4<f32>>  [n_tokens][x_stride / 4]                         read
//   5  ids    : array<u32>        [n_tokens][k]                                    read
//   6  out    : array<f32>        [n_tokens * k][rows]                             write
// Dispatch: (ceil(rows / (WG_SIZE / THREADS_PER_ROW)), n_tokens * k, 1).

struct Params {
    n_tokens: u32,
    k: u32,
    rows: u32,
    cols: u32,
    expert_begin: u32,
    expert_end: u32,
    x_stride: u32,
    has_bias: u32,
    scale_words_per_row: u32,
    data_vec4_per_row: u32,
    pad0: u32,
    pad1: u32,
}

const FORMAT_F32: u32 = 0u;
const FORMAT_F16: u32 = 1u;
const FORMAT_BF16: u32 = 2u;
const FORMAT_Q8_0: u32 = 3u;
const FORMAT_MXFP4: u32 = 4u;

override WEIGHT_FORMAT: u32 = 4u;
override WG_SIZE: u32 = 64u;
override THREADS_PER_ROW: u32 = 16u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> scales: array<u32>;
@group(0) @binding(2) var<storage, read> data: array<u32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> ids: array<u32>;
@group(0) @binding(6) var<storage, read_write> out: array<f32>;

var<workgroup> gate_sums: array<f32, WG_SIZE>;
var<workgroup> up_sums: array<f32, WG_SIZE>;

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

// A row is walked in units: the slice one thread takes per step, chosen so that neighbouring
// threads read neighbouring words of the data plane and neighbouring activations (each load
// instruction of a warp touches one contiguous span). Q8_0: one word (4 int8, x vec4 u);
// MXFP4: one word (its low nibbles are elements 4k..4k+3 of block u/4 and its high nibbles
// elements 16+4k.., k = u % 4); F32: four words; F16/BF16: two words (x vec4 u each).
fn units_per_row() -> u32 {
    if (WEIGHT_FORMAT == FORMAT_MXFP4) {
        return params.cols / 8u;
    }
    return params.cols / 4u;
}

// Dot product of unit `u` of bound weight row `row` with its activations; `xv` is the vec4
// index of the token's first activation.
fn unit_dot(row: u32, u: u32, xv: u32) -> f32 {
    let words = row * params.data_vec4_per_row * 4u;
    if (WEIGHT_FORMAT == FORMAT_Q8_0) {
        let b = u / 8u;
        let pair = unpack2x16float(scales[row * params.scale_words_per_row + b / 2u]);
        let d = select(pair.x, pair.y, (b & 1u) == 1u);
        return d * dot(q8x4(data[words + u]), x[xv + u]);
    } else if (WEIGHT_FORMAT == FORMAT_MXFP4) {
        let b = u / 4u;
        let e = (scales[row * params.scale_words_per_row + b / 4u] >> ((b & 3u) * 8u)) & 255u;
        let w = data[words + u];
        let xb = xv + b * 8u + (u & 3u);
        return e8m0_f16(e) * (dot(fp4x4(w, 0u), x[xb]) + dot(fp4x4(w, 4u), x[xb + 4u]));
    } else if (WEIGHT_FORMAT == FORMAT_F32) {
        let i = words + 4u * u;
        return dot(bitcast<vec4<f32>>(vec4<u32>(data[i], data[i + 1u], data[i + 2u], data[i + 3u])), x[xv + u]);
    } else if (WEIGHT_FORMAT == FORMAT_F16) {
        let i = words + 2u * u;
        return dot(vec4<f32>(unpack2x16float(data[i]), unpack2x16float(data[i + 1u])), x[xv + u]);
    } else {
        let i = words + 2u * u;
        return dot(vec4<f32>(bf16x2(data[i]), bf16x2(data[i + 1u])), x[xv + u]);
    }
}

// Sum over the units lane, lane + THREADS_PER_ROW, … of `row`, four independent units a step
// so that several loads are in flight per thread.
fn row_dot(row: u32, lane: u32, xv: u32) -> f32 {
    let units = units_per_row();
    var s0 = 0.0;
    var s1 = 0.0;
    var u = lane;
    for (; u + 3u * THREADS_PER_ROW < units; u += 4u * THREADS_PER_ROW) {
        s0 += unit_dot(row, u, xv) + unit_dot(row, u + THREADS_PER_ROW, xv);
        s1 += unit_dot(row, u + 2u * THREADS_PER_ROW, xv) + unit_dot(row, u + 3u * THREADS_PER_ROW, xv);
    }
    for (; u < units; u += THREADS_PER_ROW) {
        s0 += unit_dot(row, u, xv);
    }
    return s0 + s1;
}

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let rows_per_group = WG_SIZE / THREADS_PER_ROW;
    let lane = lid.x % THREADS_PER_ROW;
    let row = wid.x * rows_per_group + lid.x / THREADS_PER_ROW;
    let slot = wid.y;
    let t = slot / params.k;
    let expert = ids[slot];
    let in_range = row < params.rows && expert >= params.expert_begin && expert < params.expert_end;

    var gate = 0.0;
    var up = 0.0;
    if (in_range) {
        let gate_row = (expert - params.expert_begin) * 2u * params.rows + row;
        let up_row = gate_row + params.rows;
        let xv = t * (params.x_stride / 4u);
        gate = row_dot(gate_row, lane, xv);
        up = row_dot(up_row, lane, xv);
    }
    gate_sums[lid.x] = gate;
    up_sums[lid.x] = up;
    workgroupBarrier();
    for (var stride = THREADS_PER_ROW / 2u; stride > 0u; stride = stride / 2u) {
        if (lane < stride) {
            gate_sums[lid.x] = gate_sums[lid.x] + gate_sums[lid.x + stride];
            up_sums[lid.x] = up_sums[lid.x] + up_sums[lid.x + stride];
        }
        workgroupBarrier();
    }
    if (in_range && lane == 0u) {
        var g = gate_sums[lid.x];
        var u = up_sums[lid.x];
        if (params.has_bias == 1u) {
            g += bias[expert * 2u * params.rows + row];
            u += bias[expert * 2u * params.rows + params.rows + row];
        }
        g = min(g, 7.0);
        u = clamp(u, -7.0, 7.0);
        let glu = g / (1.0 + exp(-1.702 * g));
        out[slot * params.rows + row] = glu * (u + 1.0);
    }
}
