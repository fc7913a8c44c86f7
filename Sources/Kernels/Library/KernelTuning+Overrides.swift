import GLES

/// Overrides of `KernelTuning` fields by name, the syntax of `GPTOSS_GL_TUNE`: comma-separated
/// `NAME=VALUE` items, e.g. `linearWorkgroup=256,linearThreadsPerRow=16,useSubgroups=0`, so one
/// binary can time several tunings on a device. Sizes take a positive integer; switches take
/// 0|1 (or false|true); the per-slot MoE sizes also take `linear` (use the linear kernels'
/// sizes). `preset=portable`, `preset=cpu` or `preset=wide` replaces the whole tuning with that
/// preset (the items after it still apply), so the card can run the portable path, which CI runs
/// too, to compare greedy output. A later item for the same name wins. Unknown names and bad values are
/// errors.
public struct KernelTuningOverrides: Sendable, Equatable {
    /// The parsed items, in order.
    public private(set) var items: [Item] = []

    public struct Item: Sendable, Equatable {
        public let name: String
        public let value: Value
    }

    public enum Value: Sendable, Equatable {
        case size(Int)
        case flag(Bool)
        /// A whole preset (`preset=`).
        case preset(KernelTuning)
        /// An optional size left unset.
        case inherit
    }

    private enum Field {
        /// The whole tuning, replaced by a named preset.
        case preset
        case size(WritableKeyPath<KernelTuning, Int>)
        case flag(WritableKeyPath<KernelTuning, Bool>)
        case optionalSize(WritableKeyPath<KernelTuning, Int?>)
    }

    /// Every name `GPTOSS_GL_TUNE` knows, and the field it sets.
    private static let fields: [String: Field] = [
        "linearWorkgroup": .size(\.linear.workgroup), "linearThreadsPerRow": .size(\.linear.threadsPerRow),
        "linearTokenTile": .size(\.linear.tokenTile), "elementWorkgroup": .size(\.elementWorkgroup),
        "decodeSplitKeys": .size(\.decodeAttention.splitKeys), "decodeWorkgroup": .size(\.decodeAttention.workgroup),
        "prefillQueryTile": .size(\.prefillAttention.queryTile), "prefillKeyTile": .size(\.prefillAttention.keyTile),
        "prefillRegisterRows": .flag(\.prefillAttention.registerRows),
        "samplerSlice": .size(\.sampler.slice), "samplerWorkgroup": .size(\.sampler.workgroup),
        "groupedRowGroups": .size(\.grouped.rowGroups), "groupedMaxTokenTile": .size(\.grouped.maxTokenTile),
        "groupedMinTokenTile": .size(\.grouped.minTokenTile), "groupedTokenVecs": .size(\.grouped.tokenVecs),
        "groupedMinTokens": .size(\.grouped.minTokens), "groupedMinSlotsPerExpert": .size(\.grouped.minSlotsPerExpert),
        "groupingWorkgroup": .size(\.grouped.groupingWorkgroup), "groupedStepColumns": .size(\.grouped.stepColumns),
        "tiledMinTokens": .size(\.tiled.minTokens), "tiledRowGroups": .size(\.tiled.rowGroups),
        "tiledTokenTile": .size(\.tiled.tokenTile), "tiledTokenVecs": .size(\.tiled.tokenVecs),
        "tiledStepColumns": .size(\.tiled.stepColumns),
        "prefillBatch": .size(\.prefillBatch), "useSubgroups": .flag(\.useSubgroups),
        "moeWorkgroup": .optionalSize(\.moe.workgroup), "moeGateUpThreadsPerRow": .optionalSize(\.moe.gateUpThreadsPerRow),
        "moeDownThreadsPerRow": .optionalSize(\.moe.downThreadsPerRow), "fuseOutputRouter": .flag(\.fuseOutputRouter),
        "fuseRope": .flag(\.fuseRope), "chainedLaunches": .flag(\.chainedLaunches), "preset": .preset,
        "warmAttentionOutput": .flag(\.warmAttentionOutput), "warmNextProjection": .flag(\.warmNextProjection),
        "l2WarmWorkgroups": .size(\.l2WarmWorkgroups),
    ]

    /// The presets `preset=` names.
    private static let presets: [String: KernelTuning] = ["cpu": .cpu, "portable": .portable, "wide": .wide]

    /// The names, sorted (for errors and docs).
    public static var names: [String] { fields.keys.sorted() }

    public init() {}

    /// Parses `spec` (the value of GPTOSS_GL_TUNE); throws naming the bad item.
    public init(parsing spec: String) throws {
        for item in spec.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            let parts = item.split(separator: "=", maxSplits: 1).map { String($0).trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let field = Self.fields[parts[0]] else {
                throw Self.error("'\(item)' is not NAME=VALUE with NAME one of \(Self.names.joined(separator: ", "))")
            }
            let text = parts[1]
            let value: Value
            switch field {
            case .preset:
                guard let preset = Self.presets[text] else {
                    throw Self.error("preset takes \(Self.presets.keys.sorted().joined(separator: " or ")), got '\(text)'")
                }
                value = .preset(preset)
            case .size:
                guard let n = Int(text), n > 0 else { throw Self.error("\(parts[0]) takes a positive integer, got '\(text)'") }
                value = .size(n)
            case .flag:
                switch text {
                case "1", "true": value = .flag(true)
                case "0", "false": value = .flag(false)
                default: throw Self.error("\(parts[0]) is a switch: 0|1 (or false|true), got '\(text)'")
                }
            case .optionalSize:
                if text == "linear" { value = .inherit; break }
                guard let n = Int(text), n > 0 else {
                    throw Self.error("\(parts[0]) takes a positive integer or 'linear' (the linear kernels' size), got '\(text)'")
                }
                value = .size(n)
            }
            items.append(Item(name: parts[0], value: value))
        }
    }

    private static func error(_ message: String) -> KernelsError {
        KernelsError.invalidArgument(kernel: "GPTOSS_GL_TUNE", message: message)
    }

    /// `tuning` with these overrides applied in order.
    public func applied(to tuning: KernelTuning) -> KernelTuning {
        var tuned = tuning
        for item in items {
            switch (Self.fields[item.name]!, item.value) {
            case (.size(let path), .size(let n)): tuned[keyPath: path] = n
            case (.flag(let path), .flag(let on)): tuned[keyPath: path] = on
            case (.preset, .preset(let preset)): tuned = preset
            case (.optionalSize(let path), .size(let n)): tuned[keyPath: path] = n
            case (.optionalSize(let path), .inherit): tuned[keyPath: path] = nil
            default: preconditionFailure("item \(item.name) was parsed for another kind of field")
            }
        }
        return tuned
    }
}

extension KernelTuning {
    /// This tuning with the overrides of `spec` (GPTOSS_GL_TUNE syntax, `KernelTuningOverrides`).
    public func overridden(by spec: String) throws -> KernelTuning {
        try KernelTuningOverrides(parsing: spec).applied(to: self)
    }

    /// `forLimits(limits)` with `overrides` applied.
    public static func forLimits(_ limits: GPULimits, overrides: KernelTuningOverrides) -> KernelTuning {
        overrides.applied(to: forLimits(limits))
    }
}
