import GLES
import Telemetry

extension DeviceLimits {
    /// The telemetry form of a probed GLES context, with the keys the HUD shows: emit it as
    /// `bus.emit(.limits(DeviceLimits(context.limits)))` once the context exists. (Telemetry
    /// cannot import GLES, so the conversion lives here, where both are known.)
    public init(_ limits: GPULimits) {
        var entries: [Entry] = []
        if let maxBuffer = limits.maxBufferSize {
            entries.append(Entry(key: LimitKey.maxBufferBytes, value: String(maxBuffer)))
        }
        entries.append(Entry(key: LimitKey.maxStorageBlockBytes, value: String(limits.maxShaderStorageBlockSize)))
        entries.append(Entry(key: LimitKey.storageBlocksPerShader, value: String(limits.maxComputeShaderStorageBlocks)))
        entries.append(Entry(key: LimitKey.maxWorkgroupInvocations, value: String(limits.maxComputeWorkGroupInvocations)))
        entries.append(Entry(key: LimitKey.sharedMemoryBytes, value: String(limits.maxComputeSharedMemorySize)))
        entries.append(Entry(key: LimitKey.f16, value: limits.float16.arithmetic ? "yes" : "no"))
        if let subgroups = limits.subgroups, subgroups.computeSupported {
            entries.append(Entry(key: LimitKey.subgroups, value: "yes \(subgroups.size)"))
        } else {
            entries.append(Entry(key: LimitKey.subgroups, value: "no"))
        }
        self.init(renderer: limits.renderer, version: limits.glVersion, entries: entries)
    }
}
