// Bit manipulation (extractBits, insertBits, counts, reverse) and packing builtins: the 16-bit
// float unpacking kernels use to read f16 weights from u32 words on GLES without 16-bit types.
@group(0) @binding(0) var<storage, read> words: array<u32>;
@group(0) @binding(1) var<storage, read_write> floats: array<f32>;
@group(0) @binding(2) var<storage, read_write> ints: array<i32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let w = words[gid.x];
    let halves = unpack2x16float(w);
    let signed_bytes = unpack4x8snorm(w);
    let unsigned_bytes = unpack4x8unorm(w);
    floats[gid.x] = halves.x + halves.y + signed_bytes.w + unsigned_bytes.z + unpack2x16unorm(w).x + unpack2x16snorm(w).y;
    let nibble = extractBits(w, 4u * (gid.x % 8u), 4u);
    let signed = extractBits(i32(w), 3u, 5u);
    let merged = insertBits(w, nibble, 28u, 4u);
    let repacked = pack2x16float(halves) ^ pack4x8snorm(signed_bytes) ^ pack4x8unorm(unsigned_bytes) ^ pack2x16unorm(halves) ^ pack2x16snorm(halves);
    let counts = countOneBits(w) + countLeadingZeros(w) + countTrailingZeros(w) + firstLeadingBit(w) + firstTrailingBit(w);
    let bytes = unpack4xU8(w);
    let sbytes = unpack4xI8(w);
    let dots = dot4U8Packed(w, merged) + u32(dot4I8Packed(w, repacked));
    ints[gid.x] = signed + firstLeadingBit(i32(w)) + countOneBits(vec2<i32>(i32(w), 3)).y + sbytes.x + i32(pack4xI8(sbytes) & 1u);
    ints[gid.x + 1u] = i32(reverseBits(w) + counts + bytes.y + pack4xU8(bytes) + pack4xU8Clamp(bytes) + pack4xI8Clamp(sbytes) + dots);
    ints[gid.x + 2u] = bitcast<i32>(halves.x) + bitcast<i32>(w) + i32(bitcast<u32>(floats[0]));
}
