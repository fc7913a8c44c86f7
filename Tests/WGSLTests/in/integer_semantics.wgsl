// WGSL integer semantics GLSL lacks: division and remainder by zero, truncated remainder on
// negatives, i32 minimum / -1, shift amounts masked to the bit width; literal divisors stay plain.
@group(0) @binding(0) var<storage, read> a: array<i32>;
@group(0) @binding(1) var<storage, read> b: array<i32>;
@group(0) @binding(2) var<storage, read_write> out_i: array<i32>;
@group(0) @binding(3) var<storage, read_write> out_u: array<u32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    let x = a[i];
    let y = b[i];
    out_i[4u * i + 0u] = x / y;
    out_i[4u * i + 1u] = x % y;
    out_i[4u * i + 2u] = x << u32(y);
    out_i[4u * i + 3u] = x >> u32(y);
    let ux = u32(x);
    let uy = u32(y);
    out_u[4u * i + 0u] = ux / uy;
    out_u[4u * i + 1u] = ux % uy;
    out_u[4u * i + 2u] = ux / 8u + ux % 8u + (ux >> 3u);
    var v = vec4<i32>(x, y, -x, -y);
    v = v / vec4<i32>(y) + v % y;
    var acc = 0u;
    acc += ux;
    acc /= uy;
    acc %= 3u;
    acc <<= uy;
    acc++;
    out_u[4u * i + 3u] = acc + u32(v.x + v.w) + select(1u, 2u, x < y);
    let vs = vec3<u32>(ux) << vec3<u32>(uy, uy + 1u, 2u);
    out_u[0] = vs.x ^ vs.y ^ vs.z ^ ~ux;
    out_i[0] = -x / 7 + -x % 7;
}
