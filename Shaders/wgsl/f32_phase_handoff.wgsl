// Phase hand-off probe: can dependent steps run inside one launch, one after another, instead of
// one launch each with a storage barrier between them? (On the H100 a decode token is ≈ 124
// dependent launches and their barriers cost about a third of it; chaining separate launches
// without barriers failed its probe there: KernelLibrary+ChainedLaunch.swift.)
//
// One launch holds `phases` × `groups_per_phase` workgroups. A workgroup's role is not its
// workgroup_id but a ticket it takes from an atomic counter when it starts: tickets 0 .. N - 1
// run phase 0, N .. 2N - 1 phase 1, and so on. A phase-p workgroup first waits (thread 0,
// spinning on an atomic) until all N workgroups of phase p - 1 have counted themselves done.
// Every workgroup it waits for took its ticket earlier, so it has started and is running: the
// wait needs no promise that unstarted workgroups will be scheduled (GLES makes none), only that
// a running workgroup keeps running, which the "last workgroup" kernels
// (f32_out_router_decode.wgsl) rely on too. A wait still gives up after `rounds` × 1024 reads
// and counts itself in `counters[GIVEN_UP]`, so a device that breaks the assumption costs
// seconds, not a hang.
//
// The work is small on purpose (the probe times the hand-off, not arithmetic), and checks
// itself: invocation i of phase-p group g writes values[p][g][i] = epoch · 1000 + p, after
// reading PARTNERS values of phase p - 1 that other workgroups wrote (groups g + 1, g + 1 +
// N / PARTNERS, …, lane reversed). A read that does not find epoch · 1000 + p - 1 (a phase that
// started early, a stale cache line, a value of the previous launch) counts in
// `counters[WRONG_READS]`. The epoch changes from launch to launch, so values left by an
// earlier launch never pass.
//
// Modes: `separate_phase` = NONE runs the tickets as above; another value makes the launch run
// only that phase, workgroup_id.x as its group, with no waits: the same work as one launch a
// phase with barriers between, for comparison. ATOMIC_VALUES = 1 writes and reads the values
// through atomics (coherent on every GPU; the plain stores and loads of 0 rely on the storage
// barrier before a group counts itself done and on no SM holding a stale line of them).
// The last workgroup of the last phase to finish resets the tickets and the done counts, so
// the next launch starts from zero (it is the only workgroup still running then).
//
// Bindings (group 0):
//   0  uniform Params
//   1  counters      : array<atomic<u32>>  TICKETS, WRONG_READS, GIVEN_UP, then DONE + p: phase p's done count
//   2  values        : array<u32>          [phases][groups_per_phase][WG_SIZE]   read_write (ATOMIC_VALUES = 0)
//   3  atomic_values : array<atomic<u32>>  the same layout                       read_write (ATOMIC_VALUES = 1)
// Dispatch: (phases × groups_per_phase, 1, 1) with tickets; (groups_per_phase, 1, 1) for one separate phase.

struct Params {
    groups_per_phase: u32,
    phases: u32,
    epoch: u32,
    // Added to the count a wait waits for: 0 in use; tests set 1, so that every wait gives up.
    wait_extra: u32,
    // The phase a separate launch runs, or NONE: phases by ticket.
    separate_phase: u32,
    rounds: u32,
    pad0: u32,
    pad1: u32,
}

const NONE: u32 = 0xffffffffu;
const PARTNERS: u32 = 4u;
// Slots of `counters`: the tickets, the wrong reads, the waits given up, then phase p's done
// count at DONE + p.
const TICKETS: u32 = 0u;
const WRONG_READS: u32 = 1u;
const GIVEN_UP: u32 = 2u;
const DONE: u32 = 3u;

override WG_SIZE: u32 = 256u;
override ATOMIC_VALUES: u32 = 0u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> counters: array<atomic<u32>>;
@group(0) @binding(2) var<storage, read_write> values: array<u32>;
@group(0) @binding(3) var<storage, read_write> atomic_values: array<atomic<u32>>;

var<workgroup> ticket: u32;

fn load_value(i: u32) -> u32 {
    if (ATOMIC_VALUES == 1u) {
        return atomicLoad(&atomic_values[i]);
    }
    return values[i];
}

fn store_value(i: u32, v: u32) {
    if (ATOMIC_VALUES == 1u) {
        atomicStore(&atomic_values[i], v);
    } else {
        values[i] = v;
    }
}

fn phase_done(phase: u32, wanted: u32) -> bool {
    return atomicLoad(&counters[DONE + phase]) >= wanted;
}

// Up to four reads (|| short-circuits: each read only after the one before found the phase unfinished).
fn done_within_four_reads(phase: u32, wanted: u32) -> bool {
    return phase_done(phase, wanted) || phase_done(phase, wanted) || phase_done(phase, wanted) || phase_done(phase, wanted);
}

// Thread 0 spins until `wanted` workgroups of phase `phase` are done, or gives up after
// `rounds` × 1024 reads. Sixteen reads an iteration: Mesa's llvmpipe ends every loop of an
// invocation once the invocation has run 65535 loop iterations in all (nested loops share the
// budget), without a word, so a wait of one read an iteration fell out after a few
// milliseconds there and read the phase before half written.
fn wait_for_phase(phase: u32, wanted: u32) {
    for (var i = 0u; i < params.rounds * 64u; i += 1u) {
        if (done_within_four_reads(phase, wanted) || done_within_four_reads(phase, wanted)
            || done_within_four_reads(phase, wanted) || done_within_four_reads(phase, wanted)) {
            return;
        }
    }
    atomicAdd(&counters[GIVEN_UP], 1u);
}

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let n = params.groups_per_phase;
    if (lid == 0u) {
        if (params.separate_phase == NONE) {
            ticket = atomicAdd(&counters[TICKETS], 1u);
        } else {
            ticket = params.separate_phase * n + wid.x;
        }
    }
    let role = workgroupUniformLoad(&ticket);
    let phase = role / n;
    let group = role % n;
    if (phase >= params.phases) {
        return;
    }
    if (lid == 0u && phase > 0u && params.separate_phase == NONE) {
        wait_for_phase(phase - 1u, n + params.wait_extra);
    }
    workgroupBarrier();

    let base = params.epoch * 1000u;
    if (phase > 0u) {
        let previous = (phase - 1u) * n * WG_SIZE;
        var wrong = 0u;
        for (var k = 0u; k < PARTNERS; k += 1u) {
            let partner = (group + 1u + k * max(n / PARTNERS, 1u)) % n;
            if (load_value(previous + partner * WG_SIZE + (WG_SIZE - 1u - lid)) != base + phase - 1u) {
                wrong += 1u;
            }
        }
        if (wrong > 0u) {
            atomicAdd(&counters[WRONG_READS], wrong);
        }
    }
    store_value((phase * n + group) * WG_SIZE + lid, base + phase);

    // Every value this workgroup stored is visible before it counts itself done.
    storageBarrier();
    workgroupBarrier();
    if (lid == 0u) {
        let finished = atomicAdd(&counters[DONE + phase], 1u) + 1u;
        if (phase + 1u == params.phases && finished == n) {
            // Every other workgroup of the launch has finished: ready the counters for the next.
            atomicStore(&counters[TICKETS], 0u);
            for (var p = 0u; p < params.phases; p += 1u) {
                atomicStore(&counters[DONE + p], 0u);
            }
        }
    }
}
