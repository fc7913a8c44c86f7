import Foundation

extension GPULimits {
    /// The probe as a two-column table for people (`gptoss-gl probe` and the start-up log).
    /// `includeExtensions` appends the full GL extension list.
    public func report(includeExtensions: Bool = false) -> String {
        func bytes(_ value: Int) -> String { "\(formatBytes(value)) (\(value))" }
        func list(_ values: [Int]) -> String { values.map(String.init).joined(separator: " × ") }
        var rows: [(String, String)] = [
            ("Renderer", renderer),
            ("Vendor", vendor),
            ("GL version", glVersion),
            ("GLSL version", glslVersion),
            ("EGL", "\(eglVendor) \(eglVersion)"),
            ("Display path", "\(display.platform.rawValue): \(display.description)"
                + ", ES \(display.contextVersion) context"
                + (display.configless ? ", no config" : ", pbuffer config")
                + (display.surfaceless ? ", no surface" : ", 1×1 pbuffer")),
        ]
        for skipped in display.skipped { rows.append(("  passed over", skipped)) }
        rows += [
            ("Max buffer size", maxBufferSize.map { bytes($0) + " — " + maxBufferSizeSource } ?? maxBufferSizeSource),
            ("Free memory at probe", availableMemoryAtProbe.map(bytes) ?? "unknown"),
            ("Max storage binding", bytes(maxShaderStorageBlockSize) + " (GL_MAX_SHADER_STORAGE_BLOCK_SIZE)"),
            ("Storage blocks", "\(maxComputeShaderStorageBlocks) per compute shader, \(maxCombinedShaderStorageBlocks) combined, \(maxShaderStorageBufferBindings) binding points"),
            ("Storage offset alignment", "\(shaderStorageBufferOffsetAlignment) B"),
            ("Uniform blocks", "\(maxComputeUniformBlocks) per compute shader, \(maxCombinedUniformBlocks) combined, \(maxUniformBufferBindings) binding points, \(bytes(maxUniformBlockSize)) each, offset alignment \(uniformBufferOffsetAlignment) B"),
            ("Workgroup size", list(maxComputeWorkGroupSize) + ", \(maxComputeWorkGroupInvocations) invocations"),
            ("Workgroup count", list(maxComputeWorkGroupCount)),
            ("Shared memory", bytes(maxComputeSharedMemorySize)),
            ("16-bit floats", float16.extensions.isEmpty ? "no"
                : "arithmetic \(float16.arithmetic ? "yes" : "no"), storage \(float16.storage ? "yes" : "no") (\(float16.extensions.joined(separator: ", ")))"),
            ("Subgroups", subgroups.map { "size \($0.size); stages \($0.stages.joined(separator: ", ")); features \($0.features.joined(separator: ", "))" } ?? "no (GL_KHR_shader_subgroup absent)"),
            ("Timer queries", timerQueries.supported ? "yes (elapsed \(timerQueries.elapsedBits) bits, timestamp \(timerQueries.timestampBits) bits)" : "no (CPU timing around glFinish)"),
            ("Texture / renderbuffer", "\(maxTextureSize) / \(maxRenderbufferSize) px"),
            ("GL extensions", "\(extensions.count)" + (includeExtensions ? "" : " (--extensions lists them)")),
        ]
        let width = rows.map(\.0.count).max() ?? 0
        var text = rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(separator: "\n")
        if includeExtensions {
            text += "\n" + extensions.map { "  " + $0 }.joined(separator: "\n")
        }
        return text
    }

    /// One line for start-up logs: renderer, version, display path and what kernels choose by.
    public var summary: String {
        "\(renderer) · ES \(glesMajor).\(glesMinor) · \(display.platform.rawValue) display · storage binding "
            + "\(formatBytes(maxShaderStorageBlockSize)) · \(maxComputeWorkGroupInvocations) invocations · shared "
            + "\(formatBytes(maxComputeSharedMemorySize)) · subgroups \(subgroups.map { "\($0.size)" } ?? "no") · f16 "
            + (float16.arithmetic ? "yes" : "no") + " · timers " + (timerQueries.supported ? "GPU" : "CPU")
    }

    /// The probe as pretty-printed JSON with sorted keys (stable for diffs and the HUD).
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
