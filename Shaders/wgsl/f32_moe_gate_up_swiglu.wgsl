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
//   2  data   : array<vec4<u32>>  [bound experts * 2 * rows][data_vec4_per_row]     read
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
@group(0) @binding(2) var<storage, read> data: array<vec4<u32>>;
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
    let slot = wid.y;
    let t = slot / params.k;
    let expert = ids[slot];
    let in_range = row < params.rows && expert >= params.expert_begin && expert < params.expert_end;
    let blocks = params.cols / 32u;

    var gate = 0.0;
    var up = 0.0;
    if (in_range) {
        let gate_row = (expert - params.expert_begin) * 2u * params.rows + row;
        let up_row = gate_row + params.rows;
        let xv = t * (params.x_stride / 4u);
        for (var b = lane; b < blocks; b += THREADS_PER_ROW) {
            gate += block_dot(gate_row, b, xv + b * 8u);
            up += block_dot(up_row, b, xv + b * 8u);
        }
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
