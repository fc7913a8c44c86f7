// Warms a range of a read-only buffer (a weight plane) in the GPU's L2 cache: one word of each
// 32-byte sector is loaded. GLSL has no prefetch, so the words are folded into a value that a
// branch the host never takes (zero_mask is 0) would store; the compiler cannot drop the loads.
//
// Why: a decode launch reads its weights once, and on a big GPU it waits mostly on memory
// latency, not bandwidth (the H100 reads a 12.5 MB projection at well under half its peak). Queued
// without a barrier just before a launch that reads few bytes (decode attention), this kernel
// runs beside it and moves the next launch's weights into L2, where that launch finds them at a
// fraction of the latency. It writes nothing anyone reads, so it needs no barrier of its own.
//
// Bindings (group 0):
//   0  uniform Params
//   1  words : array<u32>  the plane                    read
//   2  sink  : array<u32>  [1], written only if zero_mask != 0 (never)
// Dispatch: (groups, 1, 1) with groups * WG_SIZE == threads; thread i loads sectors i,
// i + threads, …, LOADS of them in flight.

struct Params {
    sectors: u32,
    threads: u32,
    zero_mask: u32,
    pad0: u32,
}

override WG_SIZE: u32 = 256u;
override LOADS: u32 = 8u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> words: array<u32>;
@group(0) @binding(2) var<storage, read_write> sink: array<u32>;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let stride = params.threads * LOADS;
    var fold = 0u;
    for (var base = gid.x; base < params.sectors; base += stride) {
        for (var k = 0u; k < LOADS; k++) {
            let sector = base + k * params.threads;
            if (sector < params.sectors) {
                fold ^= words[8u * sector];
            }
        }
    }
    if ((fold & params.zero_mask) != 0u) {
        sink[0] = fold;
    }
}
