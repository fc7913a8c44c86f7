// Float builtins and their GLSL names (inverseSqrt, atan2, round to even, fma, saturate ...).
@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> y: array<vec4<f32>>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let v = x[gid.x];
    var r = exp(v) + exp2(v) + log(abs(v) + 1.0) + log2(abs(v) + 1.0) + sqrt(abs(v)) + inverseSqrt(abs(v) + 1.0);
    r += sin(v) + cos(v) + tan(v) + tanh(v) + atan2(v, vec4<f32>(2.0)) + pow(abs(v), vec4(1.5));
    r += floor(v) + ceil(v) + round(v) + trunc(v) + fract(v) + sign(v) + saturate(v);
    r += min(v, vec4(0.5)) + max(v, vec4(-0.5)) + clamp(v, vec4(-1.0), vec4(1.0)) + mix(v, r, 0.25);
    r += fma(v, v, r) + step(vec4(0.0), v) + smoothstep(vec4(0.0), vec4(1.0), v);
    let s = dot(v, r) + length(v) + distance(v, r) + max(v.x, 0.0) - min(1.0, v.y);
    r += normalize(v + 1.0) * s;
    let n = cross(v.xyz, r.xyz);
    y[gid.x] = vec4<f32>(n, select(0.0, 1.0, all(v > vec4(0.0)) || any(v == r))) + v % 3.0 + ldexp(v, vec4<i32>(2));
    y[gid.x].w = degrees(radians(v.w)) + quantizeToF16(v.w) + f32(i32(v.x)) + f32(u32(abs(v.y)));
}
