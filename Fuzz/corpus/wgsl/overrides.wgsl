// Overrides: workgroup size in two dimensions from overrides, @id, a default derived from other
// overrides, f32 and bool overrides, an override-sized workgroup array.
@id(0) override TILE_X: u32 = 16;
@id(1) override TILE_Y: u32 = 4u;
override TILE_AREA: u32 = TILE_X * TILE_Y;
override EPSILON: f32 = 1e-5;
override USE_BIAS: bool = true;
override OFFSET: i32 = -3;

@group(0) @binding(0) var<storage, read_write> data: array<f32>;
var<workgroup> tile: array<f32, TILE_AREA>;

@compute @workgroup_size(TILE_X, TILE_Y, 1)
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
    let index = lid.y * TILE_X + lid.x;
    tile[index] = data[index] + EPSILON;
    workgroupBarrier();
    var value = tile[TILE_AREA - 1u - index];
    if USE_BIAS {
        value += f32(OFFSET);
    }
    data[index] = value;
}
