import Foundation
import GLES

extension KernelTuning {
    /// The integer fields `GPTOSS_GL_TUNE` may set, by name.
    private static let tunableFields: [String: WritableKeyPath<KernelTuning, Int>] = [
        "linearWorkgroup": \.linearWorkgroup, "linearThreadsPerRow": \.linearThreadsPerRow,
        "linearTokenTile": \.linearTokenTile, "elementWorkgroup": \.elementWorkgroup,
        "decodeSplitKeys": \.decodeSplitKeys, "decodeWorkgroup": \.decodeWorkgroup,
        "prefillQueryTile": \.prefillQueryTile, "prefillKeyTile": \.prefillKeyTile,
        "prefillRegisterRows": \.prefillRegisterRows,
        "samplerSlice": \.samplerSlice, "samplerWorkgroup": \.samplerWorkgroup,
        "groupedRowGroups": \.groupedRowGroups, "groupedMaxTokenTile": \.groupedMaxTokenTile,
        "groupedMinTokenTile": \.groupedMinTokenTile, "groupedTokenVecs": \.groupedTokenVecs,
        "groupedMinTokens": \.groupedMinTokens, "groupedMinSlotsPerExpert": \.groupedMinSlotsPerExpert,
        "prefillBatch": \.prefillBatch, "groupingWorkgroup": \.groupingWorkgroup,
        "tiledMinTokens": \.tiledMinTokens, "tiledRowGroups": \.tiledRowGroups,
        "tiledTokenTile": \.tiledTokenTile, "tiledTokenVecs": \.tiledTokenVecs,
        "useSubgroups": \.useSubgroups,
        "moeWorkgroup": \.moeWorkgroup, "moeGateUpThreadsPerRow": \.moeGateUpThreadsPerRow,
        "moeDownThreadsPerRow": \.moeDownThreadsPerRow, "fuseOutputRouter": \.fuseOutputRouter,
    ]

    /// The on/off fields among them: 0 or 1 (the others must be positive).
    private static let switchFields: Set<String> = ["useSubgroups", "prefillRegisterRows", "fuseOutputRouter"]

    /// This tuning with the overrides of `spec`, e.g. "linearWorkgroup=256,linearThreadsPerRow=16"
    /// (the value of the environment variable GPTOSS_GL_TUNE), so one binary can time several
    /// tunings on a device. Unknown names and bad values are errors, not silently ignored.
    public func overridden(by spec: String) throws -> KernelTuning {
        var tuned = self
        for item in spec.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let field = Self.tunableFields[parts[0]], let value = Int(parts[1]),
                  Self.switchFields.contains(parts[0]) ? value == 0 || value == 1 : value > 0 else {
                throw KernelsError.invalidArgument(kernel: "GPTOSS_GL_TUNE",
                    message: "'\(item)' is not NAME=POSITIVE_INTEGER (or NAME=0|1 for \(Self.switchFields.sorted().joined(separator: ", "))) with NAME one of \(Self.tunableFields.keys.sorted().joined(separator: ", "))")
            }
            tuned[keyPath: field] = value
        }
        return tuned
    }

    /// `forLimits(limits)` with the overrides of GPTOSS_GL_TUNE, if set.
    public static func forLimits(_ limits: GPULimits, environment: [String: String]) throws -> KernelTuning {
        let base = forLimits(limits)
        guard let spec = environment["GPTOSS_GL_TUNE"] else { return base }
        return try base.overridden(by: spec)
    }
}
