// Pointer parameters (inout in GLSL), a pointer let that aliases an array element, structs with
// vec3 members, nested structs and arrays of structs in storage (std430 layout reflected),
// a runtime-sized array as the last member of a struct, and whole-struct copies of a block.
struct Light {
    position: vec3<f32>,
    intensity: f32,
    color: vec3<f32>,
}

struct Scene {
    count: u32,
    ambient: vec4<f32>,
    lights: array<Light, 4>,
}

struct Stream {
    length: u32,
    values: array<f32>,
}

@group(0) @binding(0) var<storage, read> scene: Scene;
@group(0) @binding(1) var<storage, read_write> stream: Stream;

fn accumulate(sum: ptr<function, vec3<f32>>, light: Light) {
    *sum += light.color * light.intensity;
}

fn swap(a: ptr<function, f32>, b: ptr<function, f32>) {
    let t = *a;
    *a = *b;
    *b = t;
}

@compute @workgroup_size(1)
fn main() {
    var total = vec3<f32>(0.0);
    for (var i = 0u; i < min(scene.count, 4u); i++) {
        accumulate(&total, scene.lights[i]);
    }
    var pair = array<f32, 2>(total.x, total.y);
    let first = &pair[0];
    *first += 1.0;
    swap(&pair[0], &pair[1]);
    let copy = scene;
    stream.values[0] = pair[0] + pair[1] + copy.ambient.w;
    stream.length = arrayLength(&stream.values);
}
