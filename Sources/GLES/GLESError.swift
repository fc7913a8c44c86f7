import Foundation

/// Everything that can go wrong in the GLES runtime. Each message says what failed, where, and
/// what to try next.
public enum GLESError: Error, LocalizedError, Equatable {
    /// No EGL display could be initialised with a usable GLES context; `attempts` lists each
    /// display path tried and why it failed.
    case noDisplay(attempts: [String])
    /// A context was made but it is older than OpenGL ES 3.1 (no compute shaders).
    case noCompute(version: String, renderer: String)
    case contextCreationFailed(display: String, eglError: String)
    case contextNotCurrent(eglError: String)
    case outOfMemory(label: String, byteCount: Int, allocatedBytes: Int)
    case glError(operation: String, code: String)
    case compileFailed(shader: String, stage: String, log: String, excerpt: String)
    case linkFailed(shader: String, log: String)
    case bindingTooLarge(program: String, index: Int, byteCount: Int, limit: Int)
    case bindingMisaligned(program: String, index: Int, offset: Int, alignment: Int)
    case bindingOutOfRange(program: String, buffer: String, index: Int, offset: Int, byteCount: Int, bufferBytes: Int)
    case bindingIndexTooHigh(program: String, kind: String, index: Int, limit: Int)
    case dispatchTooLarge(program: String, groups: [Int], limits: [Int])
    case rangeOutOfBounds(buffer: String, operation: String, offset: Int, byteCount: Int, bufferBytes: Int)
    case invalidArgument(String)
    case mapFailed(buffer: String, offset: Int, byteCount: Int, code: String)
    case framebufferIncomplete(status: String)

    public var errorDescription: String? {
        switch self {
        case .noDisplay(let attempts):
            return "No EGL display gave an OpenGL ES 3.1+ context. Tried:\n"
                + attempts.map { "  - \($0)" }.joined(separator: "\n")
                + "\nHint: install Mesa (libegl-mesa0 libgl1-mesa-dri) for llvmpipe on a CPU, or on NVIDIA set "
                + "__EGL_VENDOR_LIBRARY_FILENAMES to the driver's egl_vendor.d JSON; EGL_LOG_LEVEL=debug shows Mesa's reasons."
        case .noCompute(let version, let renderer):
            return "The GLES context on \(renderer) is '\(version)': compute shaders need OpenGL ES 3.1 or newer. "
                + "Hint: choose another device with GPTOSS_GL_EGL_DEVICE or force Mesa with GPTOSS_GL_EGL_PLATFORM=surfaceless."
        case .contextCreationFailed(let display, let eglError):
            return "Could not create an OpenGL ES 3.1+ context on \(display): \(eglError)."
        case .contextNotCurrent(let eglError):
            return "Could not make the GLES context current on this thread (\(eglError)). "
                + "Hint: a GLContext belongs to the thread that created it; use it from that thread only."
        case .outOfMemory(let label, let byteCount, let allocated):
            return "GL_OUT_OF_MEMORY allocating buffer '\(label)' of \(formatBytes(byteCount)) "
                + "(\(formatBytes(allocated)) already allocated). Hint: use a smaller model or context length, or a device with more memory."
        case .glError(let operation, let code):
            return "OpenGL ES error \(code) after \(operation)."
        case .compileFailed(let shader, let stage, let log, let excerpt):
            return "Shader '\(shader)' (\(stage)) failed to compile:\n\(log.trimmingCharacters(in: .whitespacesAndNewlines))\n\(excerpt)"
        case .linkFailed(let shader, let log):
            return "Shader program '\(shader)' failed to link:\n\(log.trimmingCharacters(in: .whitespacesAndNewlines))\n"
                + "Hint: a workgroup larger than GL_MAX_COMPUTE_WORK_GROUP_INVOCATIONS or too much shared memory fails here; retry with a smaller variant."
        case .bindingTooLarge(let program, let index, let byteCount, let limit):
            return "Program '\(program)': storage binding \(index) spans \(formatBytes(byteCount)), over this device's "
                + "GL_MAX_SHADER_STORAGE_BLOCK_SIZE of \(formatBytes(limit)). Hint: split the tensor into pieces of at most the limit."
        case .bindingMisaligned(let program, let index, let offset, let alignment):
            return "Program '\(program)': binding \(index) starts at byte \(offset), not a multiple of the required "
                + "offset alignment \(alignment). Hint: place tensors at aligned offsets."
        case .bindingOutOfRange(let program, let buffer, let index, let offset, let byteCount, let bufferBytes):
            return "Program '\(program)': binding \(index) of buffer '\(buffer)' covers bytes \(offset)..<\(offset + byteCount) "
                + "but the buffer holds \(bufferBytes) bytes."
        case .bindingIndexTooHigh(let program, let kind, let index, let limit):
            return "Program '\(program)': \(kind) binding index \(index) is not below this device's limit of \(limit)."
        case .dispatchTooLarge(let program, let groups, let limits):
            return "Program '\(program)': dispatch of \(groups) workgroups exceeds GL_MAX_COMPUTE_WORK_GROUP_COUNT \(limits) "
                + "(or a count is negative). Hint: loop over the work in several dispatches or use a grid-stride kernel."
        case .rangeOutOfBounds(let buffer, let operation, let offset, let byteCount, let bufferBytes):
            return "\(operation) on buffer '\(buffer)': bytes \(offset)..<\(offset + byteCount) fall outside its \(bufferBytes) bytes."
        case .invalidArgument(let message):
            return message
        case .mapFailed(let buffer, let offset, let byteCount, let code):
            return "Could not map bytes \(offset)..<\(offset + byteCount) of buffer '\(buffer)' for reading (\(code))."
        case .framebufferIncomplete(let status):
            return "The offscreen framebuffer is incomplete (\(status)). Hint: try a smaller size; see GPULimits.maxRenderbufferSize."
        }
    }
}

/// "1.50 GiB"-style sizes for messages and the probe table.
func formatBytes(_ bytes: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes)
    var unit = 0
    while abs(value) >= 1024 && unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    if unit == 0 { return "\(bytes) B" }
    return String(format: "%.2f %@", value, units[unit])
}
