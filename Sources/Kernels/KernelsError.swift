import Foundation

/// Everything that can go wrong between a launcher's arguments and a finished dispatch.
public enum KernelsError: LocalizedError, Equatable {
    /// A launcher precondition failed before anything was dispatched.
    case invalidArgument(kernel: String, message: String)
    /// Raw tensor bytes do not have the size the format and shape need.
    case rawSizeMismatch(tensor: String, format: WeightFormat, rows: Int, cols: Int, expected: Int, found: Int)
    /// A row length that the format's blocks (or the kernels' 32-wide blocks) cannot tile.
    case unsupportedShape(tensor: String, format: WeightFormat, cols: Int)
    /// A buffer is smaller than the launcher's arguments say it must be.
    case bufferTooSmall(kernel: String, buffer: String, needed: Int, available: Int)
    /// A single unit (one row, one expert) is larger than one storage binding may be.
    case unitOverBindingLimit(tensor: String, unitBytes: Int, limit: Int)
    /// The translated shader files are missing or unreadable.
    case shaderNotFound(name: String, searched: [String])
    /// The reflection says the shader lacks a specialisation constant the host wants to set.
    case unknownOverride(shader: String, name: String, known: [String])
    /// The GLSL has no `#version` line to insert specialisations after.
    case malformedShader(name: String, reason: String)
    /// A launcher wrote its params in an order (or with types) other than the shader declares.
    case paramsMismatch(shader: String, field: Int, written: String, expected: String)
    /// A chained launch gave up waiting for the launch before it (`ChainedLaunch`), so results
    /// since the last check may be wrong.
    case chainedLaunchStalled

    public var errorDescription: String? {
        switch self {
        case .invalidArgument(let kernel, let message):
            return "Kernel \(kernel): \(message)"
        case .rawSizeMismatch(let tensor, let format, let rows, let cols, let expected, let found):
            return "Tensor '\(tensor)' (\(format), \(rows) rows × \(cols) columns) needs \(expected) bytes but \(found) were given. Check the tensor's type and shape in the file."
        case .unsupportedShape(let tensor, let format, let cols):
            return "Tensor '\(tensor)' (\(format)) has rows of \(cols) values; the GPU kernels need a multiple of 32. Use a model whose row lengths are multiples of 32."
        case .bufferTooSmall(let kernel, let buffer, let needed, let available):
            return "Kernel \(kernel): buffer '\(buffer)' holds \(available) bytes but the arguments need \(needed). Allocate it from the same shapes the launcher is given."
        case .unitOverBindingLimit(let tensor, let unitBytes, let limit):
            return "Tensor '\(tensor)': one indivisible unit (a row or an expert) takes \(unitBytes) bytes, over the device's storage binding limit of \(limit) bytes. This device cannot hold it in one binding."
        case .shaderNotFound(let name, let searched):
            return "Shader '\(name)' not found (looked in: \(searched.joined(separator: ", "))). Run `gptoss-gl translate` to regenerate Shaders/glsl, or set GPTOSS_GL_HOME to the repository root."
        case .unknownOverride(let shader, let name, let known):
            return "Shader '\(shader)' has no override '\(name)' (it has: \(known.joined(separator: ", "))). Regenerate Shaders/glsl from the WGSL."
        case .malformedShader(let name, let reason):
            return "Shader '\(name)': \(reason). Regenerate Shaders/glsl with `gptoss-gl translate`."
        case .paramsMismatch(let shader, let field, let written, let expected):
            return "Kernel \(shader): params field \(field) was written as '\(written)' but the shader declares '\(expected)'. "
                + "Make the launcher write the fields of Shaders/glsl/\(shader).json in their order."
        case .chainedLaunchStalled:
            return "A chained launch gave up waiting for the launch before it, so this step's results may be wrong; chained launches are now off. "
                + "Run again; if it recurs, turn them off with GPTOSS_GL_TUNE=chainedLaunches=0 and report the GPU and driver."
        }
    }
}
