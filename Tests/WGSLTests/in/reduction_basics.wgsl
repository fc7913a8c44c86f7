// Storage, uniform and workgroup variables, an override-sized workgroup array, a loop with continuing, a switch and a handful of builtins: the shape of a typical reduction kernel.
struct Params {
    n: u32,
    eps: f32,
    scale: vec2<f32>,
}

override WG: u32 = 64;
const TILE = 4;
const LUT = array<f32, 4>(0.0, 0.5, 1.0, 1.5);

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

var<workgroup> partial: array<f32, WG>;

fn square(v: f32) -> f32 {
    return v * v;
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let row = wid.x;
    var sum = 0.0;
    for (var i = lid; i < params.n; i += WG) {
        sum += square(x[row * params.n + i]);
    }
    partial[lid] = sum;
    workgroupBarrier();
    var stride = WG / 2u;
    loop {
        if stride == 0u { break; }
        if lid < stride {
            partial[lid] += partial[lid + stride];
        }
        workgroupBarrier();
        continuing {
            stride = stride >> 1u;
        }
    }
    let inv = inverseSqrt(partial[0] / f32(params.n) + params.eps);
    let k = i32(lid) % TILE;
    let q = i32(row) / k;
    var bits = bitcast<u32>(inv) ^ (1u << (lid & 31u));
    if (k == 2 && q != -1) || !(sum > 0.0) {
        bits = select(bits, 0u, sum < 1.0);
    } else if k == 3 {
        bits = extractBits(bits, 3u, 5u);
    } else {
        bits = countOneBits(bits) + firstLeadingBit(bits);
    }
    switch k {
        case 0, 1: { y[row] = LUT[k]; }
        default: { y[row] = unpack2x16float(bits).x * params.scale.y; }
    }
    let n = arrayLength(&y);
    while n > 100000u { break; }
}
