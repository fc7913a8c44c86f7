import Foundation
import GLES
import Kernels

/// Experts streamed from host memory into a small pool of GPU slots per layer, least recently
/// used first out (`--gpu-memory-budget`).
///
/// Each layer's pool is laid out exactly like a `GPUExperts` stack of `slots` experts, with
/// pooled biases, so the unchanged MoE kernels run on it when given slot numbers instead of
/// expert ids. Per layer and step, the router's ids are read back (tokens·k u32), each chosen
/// expert is mapped to a slot (uploading it on a miss) and the slot ids go to the kernels. When
/// a step needs more distinct experts than there are slots (a prefill), the MoE runs in passes:
/// each pass loads up to `slots` of them and gives the others an out-of-range slot, which the
/// kernels skip; the down kernel adds into the residual, so the passes sum.
public final class ExpertCache {
    /// One layer's experts in host memory.
    struct HostLayer {
        let gateUp: HostExperts
        let down: HostExperts
        /// [experts][2·ff] (gate bias then up bias) and [experts][hidden].
        let gateUpBias: [Float]
        let downBias: [Float]
    }

    /// One layer's GPU slots.
    struct Pool {
        let gateUp: GPUExperts
        let down: GPUExperts
        let gateUpBias: GPUBuffer
        let downBias: GPUBuffer
        var byteCount: Int { gateUp.weights.byteCount + down.weights.byteCount + gateUpBias.byteCount + downBias.byteCount }
    }

    /// The slot id that no pool holds: the kernels skip it.
    static let absent = UInt32.max

    public let slots: Int
    /// Expert uses (one per distinct expert per layer per step) found in a slot, and loaded.
    public private(set) var hits = 0
    public private(set) var misses = 0
    /// MoE passes run (one per layer per step, more when a step needs more experts than slots).
    public private(set) var passes = 0
    /// Bytes copied from host memory to the GPU by misses.
    public private(set) var uploadedBytes = 0
    /// Bytes of expert weights held in host memory.
    public let hostBytes: Int

    let context: GLContext
    let layers: [HostLayer]
    let pools: [Pool]
    private var tables: [SlotTable]
    private var slotIDs: GPUBuffer?

    init(context: GLContext, layers: [HostLayer], pools: [(GPUExperts, GPUBuffer, GPUExperts, GPUBuffer)], slots: Int) {
        self.context = context
        self.layers = layers
        self.pools = pools.map { Pool(gateUp: $0.0, down: $0.2, gateUpBias: $0.1, downBias: $0.3) }
        self.slots = slots
        tables = layers.map { SlotTable(slots: slots, experts: $0.gateUp.experts) }
        hostBytes = layers.reduce(0) { $0 + $1.gateUp.byteCount + $1.down.byteCount }
    }

    /// Empty GPU slots shaped like `host`'s stacks.
    static func makePool(context: GLContext, host: HostLayer, slots: Int, layer: String) throws -> Pool {
        func stack(_ h: HostExperts, _ name: String) throws -> GPUExperts {
            let weights = try GPUWeights(context: context, format: h.format, rows: slots * h.rowsPerExpert, cols: h.cols,
                                         label: layer + name, rowsPerUnit: h.rowsPerExpert, fill: nil)
            return try GPUExperts(weights: weights, experts: slots)
        }
        let gateUpWidth = host.gateUpBias.count / host.gateUp.experts
        let downWidth = host.downBias.count / host.down.experts
        return Pool(gateUp: try stack(host.gateUp, "ffn_gate_up_exps slots"),
                    down: try stack(host.down, "ffn_down_exps slots"),
                    gateUpBias: try context.makeBuffer(byteCount: slots * gateUpWidth * 4, label: layer + "ffn_gate_up_exps.bias slots",
                                                       usage: .staticData),
                    downBias: try context.makeBuffer(byteCount: slots * downWidth * 4, label: layer + "ffn_down_exps.bias slots",
                                                     usage: .staticData))
    }

    /// Runs the MoE of layer `layer` for `tokens` tokens whose router wrote `routed` ([tokens][k]
    /// expert ids): `body` is called once per pass with the slot-id buffer to pass to the MoE
    /// kernels as their `ids` (with this layer's pools as the expert tensors) and whether it is
    /// the first pass.
    func forEachPass(layer n: Int, routed: GPUBuffer, tokens: Int, k: Int, body: (GPUBuffer, Bool) throws -> Void) throws {
        let ids = try routed.readUInt32s(count: tokens * k).map { Int($0) }
        let host = layers[n], pool = pools[n]
        let experts = host.gateUp.experts
        for id in ids where !(0 ..< experts).contains(id) {
            throw GPTOSSError.badSequence("the router of layer \(n) chose expert \(id), outside 0..<\(experts) (NaN router logits?)")
        }
        let buffer = try slotBuffer(count: tokens * k)
        var first = true
        for group in tables[n].groups(for: ids) {
            let assignment = tables[n].assign(group)
            hits += assignment.hits
            misses += assignment.loads.count
            for (expert, slot) in assignment.loads { try load(expert: expert, slot: slot, host: host, pool: pool) }
            let slotOf = Dictionary(uniqueKeysWithValues: zip(group, group.map { tables[n].slot(of: $0)! }))
            try buffer.upload(ids.map { slotOf[$0].map(UInt32.init) ?? Self.absent })
            passes += 1
            try body(buffer, first)
            first = false
        }
    }

    private func load(expert: Int, slot: Int, host: HostLayer, pool: Pool) throws {
        try host.gateUp.load(expert: expert, into: pool.gateUp, slot: slot)
        try host.down.load(expert: expert, into: pool.down, slot: slot)
        let gw = host.gateUpBias.count / host.gateUp.experts, dw = host.downBias.count / host.down.experts
        try host.gateUpBias.withUnsafeBytes {
            try pool.gateUpBias.upload(UnsafeRawBufferPointer(rebasing: $0[expert * gw * 4 ..< (expert + 1) * gw * 4]), at: slot * gw * 4)
        }
        try host.downBias.withUnsafeBytes {
            try pool.downBias.upload(UnsafeRawBufferPointer(rebasing: $0[expert * dw * 4 ..< (expert + 1) * dw * 4]), at: slot * dw * 4)
        }
        uploadedBytes += host.gateUp.scaleBytesPerExpert + host.gateUp.dataBytesPerExpert + host.down.scaleBytesPerExpert
            + host.down.dataBytesPerExpert + (gw + dw) * 4
    }

    /// A buffer of at least `count` u32 slot ids, grown when a larger step comes.
    private func slotBuffer(count: Int) throws -> GPUBuffer {
        if let slotIDs, slotIDs.byteCount >= count * 4 { return slotIDs }
        let buffer = try context.makeBuffer(byteCount: max(count, 64) * 4, label: "expert slot ids")
        slotIDs = buffer
        return buffer
    }
}

/// Which expert each slot of one layer holds, and when each slot was last used.
struct SlotTable {
    private var expertInSlot: [Int]
    private var slotOfExpert: [Int]
    private var lastUse: [UInt64]
    private var clock: UInt64 = 0

    init(slots: Int, experts: Int) {
        expertInSlot = Array(repeating: -1, count: slots)
        slotOfExpert = Array(repeating: -1, count: experts)
        lastUse = Array(repeating: 0, count: slots)
    }

    var slots: Int { expertInSlot.count }

    func slot(of expert: Int) -> Int? { slotOfExpert[expert] >= 0 ? slotOfExpert[expert] : nil }

    /// The distinct experts of `ids` cut into groups of at most `slots`, those already in a slot
    /// first (so the first pass loads as little as possible).
    func groups(for ids: [Int]) -> [[Int]] {
        var seen = Set<Int>(), resident: [Int] = [], missing: [Int] = []
        for id in ids where seen.insert(id).inserted {
            if slotOfExpert[id] >= 0 { resident.append(id) } else { missing.append(id) }
        }
        let ordered = resident + missing
        return stride(from: 0, to: ordered.count, by: slots).map { Array(ordered[$0 ..< min($0 + slots, ordered.count)]) }
    }

    /// Gives every expert of `group` (at most `slots`, distinct) a slot: those already held are
    /// hits; the rest evict the least recently used slots not holding a member of the group.
    mutating func assign(_ group: [Int]) -> (hits: Int, loads: [(expert: Int, slot: Int)]) {
        clock += 1
        var hits = 0
        var pinned = Set<Int>()
        for e in group where slotOfExpert[e] >= 0 {
            hits += 1
            pinned.insert(slotOfExpert[e])
            lastUse[slotOfExpert[e]] = clock
        }
        var loads: [(Int, Int)] = []
        for e in group where slotOfExpert[e] < 0 {
            var victim = -1
            for s in 0 ..< slots where !pinned.contains(s) {
                if victim < 0 || expertInSlot[s] < 0 && expertInSlot[victim] >= 0
                    || (expertInSlot[s] >= 0) == (expertInSlot[victim] >= 0) && lastUse[s] < lastUse[victim] {
                    victim = s
                }
            }
            precondition(victim >= 0, "a group larger than the slots")
            if expertInSlot[victim] >= 0 { slotOfExpert[expertInSlot[victim]] = -1 }
            expertInSlot[victim] = e
            slotOfExpert[e] = victim
            lastUse[victim] = clock
            pinned.insert(victim)
            loads.append((e, victim))
        }
        return (hits, loads)
    }
}
