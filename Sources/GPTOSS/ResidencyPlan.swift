import Foundation
import GGUF
import Kernels

/// Sizes written like `8G`, `512M`, `1.5GiB` or `1073741824` (binary units: K = 1024 bytes).
public enum ByteSize {
    /// Parses a size; nil when `text` is not one.
    public static func parse(_ text: String) -> Int? {
        let t = text.trimmingCharacters(in: .whitespaces).uppercased()
        let units: [(String, Double)] = [("TIB", 0x1p40), ("GIB", 0x1p30), ("MIB", 0x1p20), ("KIB", 0x1p10),
                                         ("TB", 0x1p40), ("GB", 0x1p30), ("MB", 0x1p20), ("KB", 0x1p10),
                                         ("T", 0x1p40), ("G", 0x1p30), ("M", 0x1p20), ("K", 0x1p10), ("B", 1)]
        var number = t, scale = 1.0
        for (suffix, value) in units where t.hasSuffix(suffix) {
            number = String(t.dropLast(suffix.count)).trimmingCharacters(in: .whitespaces)
            scale = value
            break
        }
        guard let value = Double(number), value.isFinite, value > 0, value * scale < 0x1p62 else { return nil }
        return Int((value * scale).rounded(.down))
    }

    /// `bytes` in the largest binary unit that keeps it ≥ 1, e.g. "7.25G"; with `roundingUp`,
    /// whole KiB or MiB rounded up (a size that is enough, to paste into an option).
    public static func format(_ bytes: Int, roundingUp: Bool = false) -> String {
        if roundingUp {
            return bytes >= 1 << 20 ? "\((bytes + (1 << 20) - 1) >> 20)M" : "\((bytes + 1023) >> 10)K"
        }
        let units: [(String, Int)] = [("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)]
        for (suffix, value) in units where bytes >= value {
            return String(format: "%.2f", Double(bytes) / Double(value)) + suffix
        }
        return "\(bytes)"
    }
}

/// Where the weights of a model go under a GPU memory budget, worked out before anything is read.
///
/// Embeddings, attention, norms, routers and the output head always stay on the GPU; the
/// experts too when everything fits. Otherwise every layer keeps a pool of `slots` experts on
/// the GPU and the rest in host memory (`ExpertCache`).
public struct ResidencyPlan: Sendable, Equatable {
    public let residency: ExpertResidency
    /// GPU bytes of everything but the experts (weights in their repacked layouts, vectors as F32).
    public let residentBytes: Int
    /// GPU bytes of one expert slot of one layer: gate/up and down planes plus their biases.
    public let slotBytes: Int
    public let layers: Int
    public let experts: Int
    /// KV cache and scratch buffers.
    public let runtimeBytes: Int

    /// GPU bytes of the weights as planned (resident part plus all experts or the pools).
    public var weightBytes: Int {
        switch residency {
        case .resident: return residentBytes + layers * experts * slotBytes
        case .cached(let slots): return residentBytes + layers * slots * slotBytes
        }
    }

    /// The smallest budget that runs the model: one slot per layer.
    public var minimumBudget: Int { residentBytes + runtimeBytes + layers * slotBytes }

    /// The budget that gives exactly `slots` slots per layer (for tests and for the docs' tables).
    public func budget(forSlots slots: Int) -> Int { residentBytes + runtimeBytes + layers * slots * slotBytes }

    /// Plans `model` for `budget` bytes of GPU memory (nil: no budget, all resident).
    public init(model: ModelFile, runtimeBytes: Int, budget: Int?) throws {
        let c = model.config
        var resident = 0, slot = 0
        for entry in model.table.entries {
            guard let info = model.file.tensor(named: entry.name), let format = WeightFormat(ggml: info.type) else { continue }
            let cols = Int(info.dimensions[0]), values = Int(info.elementCount)
            switch entry.role {
            case .vector where entry.name.contains("_exps."):
                slot += values / c.expertCount * 4
            case .vector:
                resident += values * 4
            case .matrix, .embeddingRows:
                resident += Self.planeBytes(format: format, rows: values / cols, cols: cols)
            case .expertMatrices:
                slot += Self.planeBytes(format: format, rows: values / cols / c.expertCount, cols: cols)
            }
        }
        residentBytes = resident
        // The loop summed every layer's expert tensors; a slot holds one expert of one layer.
        slot /= max(1, c.blockCount)
        slotBytes = slot
        layers = c.blockCount
        experts = c.expertCount
        self.runtimeBytes = runtimeBytes
        guard let budget else { residency = .resident; return }
        let free = budget - resident - runtimeBytes
        let slots = free > 0 ? free / max(1, layers * slot) : 0
        if slots >= experts {
            residency = .resident
        } else if slots >= 1 {
            residency = .cached(slots: slots)
        } else {
            let minimum = resident + runtimeBytes + layers * slot
            throw GPTOSSError.budgetTooSmall(
                budgetBytes: budget, minimumBytes: minimum,
                detail: "\(ByteSize.format(resident)) resident weights + \(ByteSize.format(runtimeBytes)) KV cache and scratch + "
                    + "\(layers) layers × 1 expert slot of \(ByteSize.format(slot))")
        }
    }

    /// Bytes of both planes of a `rows × cols` matrix (see `PackedWeights`).
    static func planeBytes(format: WeightFormat, rows: Int, cols: Int) -> Int {
        rows * (format.scaleWordsPerRow(cols: cols) + format.dataVec4PerRow(cols: cols) * 4) * 4
    }
}

extension ResidencyPlan {
    /// The plan `GPTOSSModel` makes for `model` loaded with `options` (same KV cache and scratch sizes).
    public init(model: ModelFile, options: ModelOptions) throws {
        let c = model.config
        let positions = options.context ?? min(c.contextLength, 4096)
        let batch = max(1, options.batch)
        try self.init(model: model, runtimeBytes: KVCache.byteCount(config: c, context: positions, batch: batch)
                        + Activations.byteCount(config: c, batch: batch),
                      budget: options.gpuMemoryBudget)
    }
}
