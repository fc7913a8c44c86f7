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
//   2  data   : array<u32>        [bound experts * 2 * rows][data_vec4_per_row * 4] read
//   3  bias   : array<f32>        [n_experts][2 * rows] (gate bias, then up bias)   read (has_bias = 1)
//   4  x      : array<vec4<f32>>  [n_tokens][x_stride / 4]                         read
//   5  ids    : array<u32>        [n_tokens][k]                                    read
//   6  out    : array<f32>        [n_tokens * k][rows]                             write
// Dispatch: (ceil(rows / (WG_SIZE / THREADS_PER_ROW)), n_tokens * k, 1).
// A row's THREADS_PER_ROW threads reduce in shared memory, or with SUBGROUPS = 1 with one
// subgroupAdd: each row group is then exactly one subgroup (the host's conditions and the
// invocation-to-subgroup mapping this relies on are described at the top of f32_linear.wgsl).

enable subgroups;

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
// 1: each row group reduces with subgroupAdd (see above); 0: in shared memory.
override SUBGROUPS: u32 = 0u;

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
    // Bytes 0 and 2 already sit at the same place in the two 16-bit halves, as do bytes 1 and
    // 3 after a shift by 8, so each f16 pair takes two masks and shifts (no repacking).
    let t = w >> shift;
    let h02 = ((t & 0x00070007u) << 9u) | ((t & 0x00080008u) << 12u);
    let h13 = (((t >> 8u) & 0x00070007u) << 9u) | (((t >> 8u) & 0x00080008u) << 12u);
    let v02 = unpack2x16float(h02);
    let v13 = unpack2x16float(h13);
    return vec4<f32>(v02.x, v13.x, v02.y, v13.y);
}

// 2^(e - 127) · 2^14: the E8M0 block scale times the 2^14 that fp4x4 leaves out. Exponents
// above 240 (scales over 2^113, never seen in real weights) saturate at 2^127.
fn e8m0_f16(e: u32) -> f32 {
    return bitcast<f32>(min(e + 14u, 254u) << 23u);
}

fn bf16x2(w: u32) -> vec2<f32> {
    return vec2<f32>(bitcast<f32>(w << 16u), bitcast<f32>(w & 0xffff0000u));
}

// Activation vec4 `j` of the token whose first vec4 is `xv`.
fn xin(xv: u32, j: u32) -> vec4<f32> {
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

// Gate and up sums of one expert row pair over the units lane, lane + THREADS_PER_ROW, …: four
// units of each row a round, all eight loads issued before any math (a decode step reads each
// expert row once, so the kernel is bound by loads in flight, not arithmetic; named variables
// keep them in registers). Both rows meet the same activations, loaded once. Units past the
// row's end load its last unit again (in bounds, cached) and count zero.
fn pair_dot(gate_row: u32, up_row: u32, lane: u32, xv: u32) -> vec2<f32> {
    let units = units_per_row();
    let last = units - 1u;
    let gate_words = gate_row * params.data_vec4_per_row * 4u;
    let up_words = up_row * params.data_vec4_per_row * 4u;
    var s = vec2<f32>(0.0);
    for (var u0 = lane; u0 < units; u0 += 4u * THREADS_PER_ROW) {
        let u1 = min(u0 + THREADS_PER_ROW, last);
        let u2 = min(u0 + 2u * THREADS_PER_ROW, last);
        let u3 = min(u0 + 3u * THREADS_PER_ROW, last);
        let g0 = unit_load(gate_words, u0);
        let p0 = unit_load(up_words, u0);
        let g1 = unit_load(gate_words, u1);
        let p1 = unit_load(up_words, u1);
        let g2 = unit_load(gate_words, u2);
        let p2 = unit_load(up_words, u2);
        let g3 = unit_load(gate_words, u3);
        let p3 = unit_load(up_words, u3);
        s += vec2<f32>(unit_dot(gate_row, u0, g0, xv), unit_dot(up_row, u0, p0, xv));
        s += select(vec2<f32>(0.0), vec2<f32>(unit_dot(gate_row, u1, g1, xv), unit_dot(up_row, u1, p1, xv)),
                    u0 + THREADS_PER_ROW < units);
        s += select(vec2<f32>(0.0), vec2<f32>(unit_dot(gate_row, u2, g2, xv), unit_dot(up_row, u2, p2, xv)),
                    u0 + 2u * THREADS_PER_ROW < units);
        s += select(vec2<f32>(0.0), vec2<f32>(unit_dot(gate_row, u3, g3, xv), unit_dot(up_row, u3, p3, xv)),
                    u0 + 3u * THREADS_PER_ROW < units);
    }
    return s;
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
        let sums = pair_dot(gate_row, up_row, lane, xv);
        gate = sums.x;
        up = sums.y;
    }
    // The row's gate and up sums (valid in lane 0 at least).
    var total = vec2<f32>(0.0);
    if (SUBGROUPS == 1u) {
        // The row group is one subgroup: no shared memory, no barrier.
        total = subgroupAdd(vec2<f32>(gate, up));
    } else {
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
        total = vec2<f32>(gate_sums[lid.x], up_sums[lid.x]);
    }
    if (in_range && lane == 0u) {
        var g = total.x;
        var u = total.y;
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
