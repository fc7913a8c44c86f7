// Groups a batch's expert slots by expert, for the grouped MoE kernels of prefill
// (f32_moe_gate_up_grouped.wgsl, f32_moe_down_grouped.wgsl): slot s = t * k + j chose expert
// ids[s]; the slots are written sorted by expert, and inside an expert by slot index (so the
// result does not depend on thread timing), and each expert's run is cut into tiles of at most
// token_tile slots: tiles[0] = (tile count, slot count, 0, 0), tiles[1 + i] = (expert, first
// sorted position, slots in the tile, 0), experts in increasing order. The tile count is at most
// (n_slots + min(n_experts, n_slots) * (token_tile - 1)) / token_tile, the bound the launchers
// dispatch. An id >= n_experts is left out of every tile (the router never writes one).
//
// One workgroup does it all: thread (g, e) = (lid / n_experts, lid % n_experts) counts expert
// e in the g-th of G = WG_SIZE / n_experts contiguous segments of the slots; the per-expert
// totals give each expert's first sorted position and first tile (exclusive prefix sums), each
// thread then writes its segment's slots of its expert after those of the earlier segments.
//
// Bindings (group 0):
//   0  uniform Params
//   1  ids    : array<u32>        [n_slots]                          read (f32_topk_softmax)
//   2  sorted : array<u32>        [n_slots] slot indices by expert   write
//   3  tiles  : array<vec4<u32>>  [1 + max tiles]                    write
// Dispatch: (1, 1, 1). Needs n_experts <= WG_SIZE.

struct Params {
    n_slots: u32,
    n_experts: u32,
    token_tile: u32,
    pad0: u32,
}

override WG_SIZE: u32 = 256u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> ids: array<u32>;
@group(0) @binding(2) var<storage, read_write> sorted: array<u32>;
@group(0) @binding(3) var<storage, read_write> tiles: array<vec4<u32>>;

// counts[g * n_experts + e]: slots of expert e in segment g.
var<workgroup> counts: array<u32, WG_SIZE>;
// Per expert e: its slot count, first sorted position and first tile.
var<workgroup> expert_total: array<u32, WG_SIZE>;
var<workgroup> expert_first: array<u32, WG_SIZE>;
var<workgroup> expert_tile: array<u32, WG_SIZE>;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(local_invocation_index) lid: u32) {
    let n = params.n_slots;
    let n_experts = params.n_experts;
    let tile = params.token_tile;
    let segments = WG_SIZE / n_experts;
    let g = lid / n_experts;
    let e = lid % n_experts;
    let counting = g < segments;
    let length = (n + segments - 1u) / segments;
    let s0 = min(g * length, n);
    let s1 = min(s0 + length, n);

    var count = 0u;
    if (counting) {
        for (var s = s0; s < s1; s += 1u) {
            if (ids[s] == e) {
                count += 1u;
            }
        }
    }
    counts[lid] = count;
    workgroupBarrier();

    if (lid < n_experts) {
        var total = 0u;
        for (var seg = 0u; seg < segments; seg += 1u) {
            total += counts[seg * n_experts + lid];
        }
        expert_total[lid] = total;
    }
    workgroupBarrier();

    if (lid == 0u) {
        var first = 0u;
        var first_tile = 0u;
        for (var x = 0u; x < n_experts; x += 1u) {
            expert_first[x] = first;
            expert_tile[x] = first_tile;
            first += expert_total[x];
            first_tile += (expert_total[x] + tile - 1u) / tile;
        }
        tiles[0] = vec4<u32>(first_tile, first, 0u, 0u);
    }
    workgroupBarrier();

    if (counting) {
        var position = expert_first[e];
        for (var seg = 0u; seg < g; seg += 1u) {
            position += counts[seg * n_experts + e];
        }
        for (var s = s0; s < s1; s += 1u) {
            if (ids[s] == e) {
                sorted[position] = s;
                position += 1u;
            }
        }
    }
    if (lid < n_experts) {
        let total = expert_total[lid];
        let first = expert_first[lid];
        let first_tile = expert_tile[lid];
        for (var i = 0u; i * tile < total; i += 1u) {
            tiles[1u + first_tile + i] = vec4<u32>(lid, first + i * tile, min(tile, total - i * tile), 0u);
        }
    }
}
