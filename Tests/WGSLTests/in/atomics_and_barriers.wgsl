// Atomics in storage and workgroup memory, compare-exchange, workgroupUniformLoad and barriers.
struct Counters {
    hits: atomic<u32>,
    balance: atomic<i32>,
}

@group(0) @binding(0) var<storage, read_write> counters: Counters;
@group(0) @binding(1) var<storage, read_write> histogram: array<atomic<u32>>;
@group(0) @binding(2) var<storage, read> values: array<u32>;

var<workgroup> local_hits: atomic<u32>;
var<workgroup> leader_value: u32;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    if lid == 0u {
        atomicStore(&local_hits, 0u);
        leader_value = values[gid.x];
    }
    workgroupBarrier();
    let shared_value = workgroupUniformLoad(&leader_value);
    let v = values[gid.x];
    atomicAdd(&histogram[v % 16u], 1u);
    let before = atomicAdd(&local_hits, 1u);
    atomicSub(&counters.balance, i32(v & 7u));
    atomicMax(&histogram[16], v);
    atomicMin(&histogram[17], v);
    atomicOr(&histogram[18], v);
    atomicAnd(&histogram[19], v);
    atomicXor(&histogram[20], v);
    let old = atomicExchange(&histogram[21], before + shared_value);
    let exchange = atomicCompareExchangeWeak(&histogram[22], old, v);
    if exchange.exchanged {
        atomicAdd(&counters.hits, 1u);
    }
    storageBarrier();
    workgroupBarrier();
    if lid == 0u {
        atomicAdd(&counters.hits, atomicLoad(&local_hits));
    }
}
