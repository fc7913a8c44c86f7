// Constant expressions are folded when translating: abstract literals adapt to their use, hex
// and suffixed literals, const arrays become GLSL const arrays, const_assert is checked.
const BLOCK = 32;
const HALF_BLOCK = BLOCK / 2;
const MASK = 0xFFu;
const SCALE = 1.0 / 8.0;
const BIG: u32 = 1u << 31u;
const MIN_I32 = i32(-2147483648);
const FP4_VALUES = array<f32, 8>(0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0);
const ORIGIN = vec3(1.0, 2.0, 3.0);
const_assert BLOCK % 8 == 0;

@group(0) @binding(0) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(HALF_BLOCK)
fn main(@builtin(local_invocation_index) lid: u32) {
    const LOCAL_SHIFT = 3u;
    let index = lid & MASK;
    let scaled = f32(index) * SCALE + FP4_VALUES[index % 8u] + ORIGIN.y;
    let wide = u32(BLOCK) * 4u + BIG / 2u + (index >> LOCAL_SHIFT);
    let negative = MIN_I32 + i32(index) - 0x10i;
    let e = 2.5e-3 + 1e2 + 0x1p-4 + 3f + .5;
    out[index] = scaled + f32(wide) + f32(negative) + e + f32(HALF_BLOCK) * abs(-2.0) + max(sqrt(16.0), 3.0);
}
