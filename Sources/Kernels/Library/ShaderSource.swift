import Foundation

/// A specialisation constant's value, written into the GLSL as a `#define`.
public enum OverrideValue: Hashable, Sendable, CustomStringConvertible {
    case u32(UInt32)
    case i32(Int32)
    case f32(Float)
    case bool(Bool)

    /// The GLSL text of the macro. The translated GLSL converts the macro to the override's type
    /// itself (`uint(OVERRIDE_X)`) and also uses integer ones in `layout(local_size_x = …)`, so
    /// integers are written as plain decimals.
    public var description: String {
        switch self {
        case .u32(let v): return "\(v)"
        case .i32(let v): return "\(v)"
        case .f32(let v): return String(format: "%.9e", Double(v))
        case .bool(let v): return v ? "true" : "false"
        }
    }
}

/// One translated kernel: the GLSL the translator wrote, and the overrides it declares.
///
/// The translator leaves every WGSL `override NAME` as `#ifndef OVERRIDE_NAME / #define
/// OVERRIDE_NAME default / #endif`; the host specialises by defining `OVERRIDE_NAME` right after
/// the `#version` and `#extension` lines.
public struct ShaderSource: Sendable {
    public let name: String
    public let glsl: String
    /// Override names found in the GLSL (without the `OVERRIDE_` prefix).
    public let overrideNames: Set<String>

    public init(name: String, glsl: String) throws {
        guard glsl.contains("#version") else {
            throw KernelsError.malformedShader(name: name, reason: "no #version line")
        }
        self.name = name
        self.glsl = glsl
        var names = Set<String>()
        for line in glsl.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("#ifndef OVERRIDE_") {
                names.insert(String(trimmed.dropFirst("#ifndef OVERRIDE_".count)).trimmingCharacters(in: .whitespaces))
            }
        }
        overrideNames = names
    }

    /// The GLSL with `values` defined; every name must be an override of this shader.
    /// `defines` are further macros written as given (the chained-launch ones,
    /// `ChainedLaunch.defines`), not overrides.
    public func specialised(_ values: [String: OverrideValue], defines extra: [String: String] = [:]) throws -> String {
        for name in values.keys where !overrideNames.contains(name) {
            throw KernelsError.unknownOverride(shader: self.name, name: name, known: overrideNames.sorted())
        }
        var lines = glsl.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var insertAt = 0
        for (index, line) in lines.enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("#version") || trimmed.hasPrefix("#extension") { insertAt = index + 1 }
        }
        let defines = values.keys.sorted().map { "#define OVERRIDE_\($0) \(values[$0]!)" }
            + extra.keys.sorted().map { "#define \($0) \(extra[$0]!)" }
        lines.insert(contentsOf: defines, at: insertAt)
        return lines.joined(separator: "\n")
    }
}

/// Reads `<name>.comp` files from the translated shader folder, once each.
public final class ShaderLibrary {
    public let directory: URL
    private var sources: [String: ShaderSource] = [:]
    private var layouts: [String: ParamsLayout] = [:]

    public init(directory: URL) {
        self.directory = directory
    }

    /// The folder found by `RepositoryLocator` (`home` first: GPTOSS_GL_HOME), or an error
    /// listing where it looked.
    public static func located(home: String? = nil) throws -> ShaderLibrary {
        let (found, searched) = RepositoryLocator.shaderDirectory(home: home)
        guard let found else { throw KernelsError.shaderNotFound(name: "Shaders/glsl", searched: searched) }
        return ShaderLibrary(directory: found)
    }

    public func source(_ name: String) throws -> ShaderSource {
        if let cached = sources[name] { return cached }
        let url = directory.appendingPathComponent("\(name).comp")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw KernelsError.shaderNotFound(name: name, searched: [url.path])
        }
        let source = try ShaderSource(name: name, glsl: text)
        sources[name] = source
        return source
    }

    /// The params layout the translator reflected for `name` (`<name>.json` beside the GLSL).
    public func paramsLayout(_ name: String) throws -> ParamsLayout {
        if let cached = layouts[name] { return cached }
        let url = directory.appendingPathComponent("\(name).json")
        guard let data = try? Data(contentsOf: url) else {
            throw KernelsError.shaderNotFound(name: "\(name).json", searched: [url.path])
        }
        let layout = try ParamsLayout(shader: name, reflectionJSON: data)
        layouts[name] = layout
        return layout
    }
}
