// Identifiers that are fine in WGSL but reserved or taken in GLSL are renamed by the one namer:
// GLSL keywords (input, output, sample, buffer, flat, long, double), builtin function names (mix,
// texture, barrier), double underscores, and names that shadow one another.
struct sample {
    input: f32,
    output: f32,
    long: u32,
}

@group(0) @binding(0) var<storage, read_write> buffer: array<sample>;
var<workgroup> flat: array<f32, 64>;
var<private> double: f32 = 1.5;

fn mix(a: f32, b: f32) -> f32 {
    return a * 0.25 + b * 0.75;
}

fn texture(value: f32) -> f32 {
    let barrier = value * 2.0;
    return barrier;
}

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32) {
    let a__b = buffer[lid].input;
    var output = mix(a__b, texture(buffer[lid].output)) + double;
    {
        let output = 2.0;
        flat[lid] = output;
    }
    workgroupBarrier();
    output += flat[(lid + 1u) % 64u];
    buffer[lid] = sample(a__b, output, buffer[lid].long + 1u);
}
