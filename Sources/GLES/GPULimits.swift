import CEGL
import CGLES
import Foundation

/// How the context's display was found (for the probe, the HUD and bug reports).
public struct DisplayPathInfo: Codable, Equatable, Sendable {
    public var platform: EGLPlatformChoice
    public var description: String
    public var deviceIndex: Int?
    public var deviceExtensions: String?
    /// The ES version asked of eglCreateContext ("3.2" or "3.1").
    public var contextVersion: String
    public var configless: Bool
    public var surfaceless: Bool
    /// Displays tried before this one, with the reason each was passed over.
    public var skipped: [String]
}

/// 16-bit float support in shaders (WebGPU's `shader-f16` analogue) and which extensions give it.
public struct Float16Support: Codable, Equatable, Sendable {
    /// float16_t arithmetic in GLSL ES is possible.
    public var arithmetic: Bool
    /// 16-bit types may live in storage buffers (GL_EXT_shader_16bit_storage).
    public var storage: Bool
    public var extensions: [String]
}

/// GL_KHR_shader_subgroup properties.
public struct SubgroupSupport: Codable, Equatable, Sendable {
    public var size: Int
    public var stages: [String]
    public var features: [String]
    public var quadOperationsInAllStages: Bool
    public var computeSupported: Bool { stages.contains("compute") }
}

/// GL_EXT_disjoint_timer_query support: counter bits 0 means that query kind is unusable.
public struct TimerQuerySupport: Codable, Equatable, Sendable {
    public var supported: Bool
    public var elapsedBits: Int
    public var timestampBits: Int
}

/// Everything the engine and the HUD need to know about the device, probed once per context.
/// Sizes are in bytes.
public struct GPULimits: Codable, Equatable, Sendable {
    public var display: DisplayPathInfo
    public var eglVendor: String
    public var eglVersion: String
    public var eglExtensions: [String]

    public var renderer: String
    public var vendor: String

    /// Whether `renderer` is a CPU rasteriser (Mesa's llvmpipe or softpipe, SwiftShader): the
    /// one place the engine asks, so the kernels' sizes, the upload method, the prefill loop
    /// budget and the memory probe agree on what a CPU renderer is.
    public var isSoftwareRenderer: Bool { Self.isSoftwareRenderer(renderer) }

    static func isSoftwareRenderer(_ renderer: String) -> Bool {
        let lowered = renderer.lowercased()
        return ["llvmpipe", "softpipe", "swiftshader"].contains { lowered.contains($0) }
    }
    public var glVersion: String
    public var glslVersion: String
    public var glesMajor: Int
    public var glesMinor: Int

    /// GL cannot tell the largest buffer it will allocate. This is the best bound we can learn:
    /// the device's memory where the driver reports it (GL_NVX_gpu_memory_info), system memory
    /// for CPU renderers (llvmpipe), else nil. An allocation past the real limit fails with
    /// GL_OUT_OF_MEMORY, which `makeBuffer` reports as `GLESError.outOfMemory`.
    public var maxBufferSize: Int?
    /// Where `maxBufferSize` came from.
    public var maxBufferSizeSource: String
    /// Free device memory at probe time, where the driver reports it.
    public var availableMemoryAtProbe: Int?

    /// The largest storage binding (GL_MAX_SHADER_STORAGE_BLOCK_SIZE): bigger tensors are split.
    public var maxShaderStorageBlockSize: Int
    public var maxComputeShaderStorageBlocks: Int
    public var maxShaderStorageBufferBindings: Int
    public var maxCombinedShaderStorageBlocks: Int
    public var shaderStorageBufferOffsetAlignment: Int

    public var maxUniformBlockSize: Int
    public var maxComputeUniformBlocks: Int
    public var maxUniformBufferBindings: Int
    public var maxCombinedUniformBlocks: Int
    public var uniformBufferOffsetAlignment: Int

    /// [x, y, z]
    public var maxComputeWorkGroupSize: [Int]
    public var maxComputeWorkGroupInvocations: Int
    /// [x, y, z]
    public var maxComputeWorkGroupCount: [Int]
    public var maxComputeSharedMemorySize: Int

    public var maxTextureSize: Int
    public var maxRenderbufferSize: Int

    public var float16: Float16Support
    /// nil without GL_KHR_shader_subgroup.
    public var subgroups: SubgroupSupport?
    public var timerQueries: TimerQuerySupport
    public var extensions: [String]

    public func hasExtension(_ name: String) -> Bool { extensions.contains(name) }

    /// Reads every limit from the current context.
    static func probe(display: EGLDisplay, path: DisplayPathInfo, procs: GLExtensionProcs) -> GPULimits {
        var extensionCount: GLint = 0
        glGetIntegerv(gl(GL_NUM_EXTENSIONS), &extensionCount)
        let extensions = (0..<max(0, Int(extensionCount))).compactMap { index -> String? in
            guard let pointer = glGetStringi(gl(GL_EXTENSIONS), GLuint(index)) else { return nil }
            return String(cString: UnsafeRawPointer(pointer).assumingMemoryBound(to: CChar.self))
        }
        let has = Set(extensions)
        let renderer = glString(GL_RENDERER)
        let memory = probeMemory(renderer: renderer, extensions: has)

        let float16Extensions = ["GL_EXT_shader_explicit_arithmetic_types_float16", "GL_AMD_gpu_shader_half_float",
                                 "GL_NV_gpu_shader5", "GL_EXT_shader_16bit_storage"].filter(has.contains)
        let float16 = Float16Support(
            arithmetic: float16Extensions.contains { $0 != "GL_EXT_shader_16bit_storage" },
            storage: has.contains("GL_EXT_shader_16bit_storage") || has.contains("GL_NV_gpu_shader5"),
            extensions: float16Extensions)

        var timer = TimerQuerySupport(supported: false, elapsedBits: 0, timestampBits: 0)
        if has.contains("GL_EXT_disjoint_timer_query"), procs.hasTimerQueries, let getQueryiv = procs.getQueryiv {
            var bits: GLint = 0
            getQueryiv(gl(GL_TIME_ELAPSED_EXT), gl(GL_QUERY_COUNTER_BITS_EXT), &bits)
            timer.elapsedBits = Int(bits)
            bits = 0
            getQueryiv(gl(GL_TIMESTAMP_EXT), gl(GL_QUERY_COUNTER_BITS_EXT), &bits)
            timer.timestampBits = Int(bits)
            timer.supported = timer.elapsedBits > 0 || timer.timestampBits > 0
        }
        _ = takeGLError()

        return GPULimits(
            display: path,
            eglVendor: eglString(display, EGL_VENDOR),
            eglVersion: eglString(display, EGL_VERSION),
            eglExtensions: eglString(display, EGL_EXTENSIONS).split(separator: " ").map(String.init),
            renderer: renderer,
            vendor: glString(GL_VENDOR),
            glVersion: glString(GL_VERSION),
            glslVersion: glString(GL_SHADING_LANGUAGE_VERSION),
            glesMajor: glInteger(GL_MAJOR_VERSION),
            glesMinor: glInteger(GL_MINOR_VERSION),
            maxBufferSize: memory.total,
            maxBufferSizeSource: memory.source,
            availableMemoryAtProbe: memory.available,
            maxShaderStorageBlockSize: glInteger(GL_MAX_SHADER_STORAGE_BLOCK_SIZE),
            maxComputeShaderStorageBlocks: glInteger(GL_MAX_COMPUTE_SHADER_STORAGE_BLOCKS),
            maxShaderStorageBufferBindings: glInteger(GL_MAX_SHADER_STORAGE_BUFFER_BINDINGS),
            maxCombinedShaderStorageBlocks: glInteger(GL_MAX_COMBINED_SHADER_STORAGE_BLOCKS),
            shaderStorageBufferOffsetAlignment: glInteger(GL_SHADER_STORAGE_BUFFER_OFFSET_ALIGNMENT),
            maxUniformBlockSize: glInteger(GL_MAX_UNIFORM_BLOCK_SIZE),
            maxComputeUniformBlocks: glInteger(GL_MAX_COMPUTE_UNIFORM_BLOCKS),
            maxUniformBufferBindings: glInteger(GL_MAX_UNIFORM_BUFFER_BINDINGS),
            maxCombinedUniformBlocks: glInteger(GL_MAX_COMBINED_UNIFORM_BLOCKS),
            uniformBufferOffsetAlignment: glInteger(GL_UNIFORM_BUFFER_OFFSET_ALIGNMENT),
            maxComputeWorkGroupSize: (0..<3).map { glIndexedInteger(GL_MAX_COMPUTE_WORK_GROUP_SIZE, $0) },
            maxComputeWorkGroupInvocations: glInteger(GL_MAX_COMPUTE_WORK_GROUP_INVOCATIONS),
            maxComputeWorkGroupCount: (0..<3).map { glIndexedInteger(GL_MAX_COMPUTE_WORK_GROUP_COUNT, $0) },
            maxComputeSharedMemorySize: glInteger(GL_MAX_COMPUTE_SHARED_MEMORY_SIZE),
            maxTextureSize: glInteger(GL_MAX_TEXTURE_SIZE),
            maxRenderbufferSize: glInteger(GL_MAX_RENDERBUFFER_SIZE),
            float16: float16,
            subgroups: has.contains("GL_KHR_shader_subgroup") ? probeSubgroups() : nil,
            timerQueries: timer,
            extensions: extensions)
    }

    private static func probeSubgroups() -> SubgroupSupport {
        let stageBits = glInteger(GL_SUBGROUP_SUPPORTED_STAGES_KHR)
        let featureBits = glInteger(GL_SUBGROUP_SUPPORTED_FEATURES_KHR)
        let stageNames: [(Int32, String)] = [
            (GL_VERTEX_SHADER_BIT, "vertex"), (GL_FRAGMENT_SHADER_BIT, "fragment"), (GL_COMPUTE_SHADER_BIT, "compute"),
            (0x4, "geometry"), (0x8, "tess_control"), (0x10, "tess_evaluation"),
        ]
        // GL_SUBGROUP_FEATURE_*_BIT_KHR values from the extension's specification.
        let featureNames: [(Int, String)] = [
            (0x1, "basic"), (0x2, "vote"), (0x4, "arithmetic"), (0x8, "ballot"), (0x10, "shuffle"),
            (0x20, "shuffle_relative"), (0x40, "clustered"), (0x80, "quad"), (0x100, "partitioned_nv"),
        ]
        let subgroups = SubgroupSupport(
            size: glInteger(GL_SUBGROUP_SIZE_KHR),
            stages: stageNames.filter { stageBits & Int($0.0) != 0 }.map(\.1),
            features: featureNames.filter { featureBits & $0.0 != 0 }.map(\.1),
            quadOperationsInAllStages: glInteger(GL_SUBGROUP_QUAD_ALL_STAGES_KHR) != 0)
        _ = takeGLError()
        return subgroups
    }

    /// See `maxBufferSize`: NVIDIA reports its memory through GL_NVX_gpu_memory_info (in KiB);
    /// a CPU renderer allocates from system memory.
    private static func probeMemory(renderer: String, extensions: Set<String>) -> (total: Int?, available: Int?, source: String) {
        if extensions.contains("GL_NVX_gpu_memory_info") {
            let dedicatedKiB = glInteger(0x9047)  // GL_GPU_MEMORY_INFO_DEDICATED_VIDMEM_NVX
            let availableKiB = glInteger(0x9049)  // GL_GPU_MEMORY_INFO_CURRENT_AVAILABLE_VIDMEM_NVX
            _ = takeGLError()
            if dedicatedKiB > 0 {
                return (dedicatedKiB * 1024, availableKiB > 0 ? availableKiB * 1024 : nil, "dedicated video memory (GL_NVX_gpu_memory_info)")
            }
        }
        if isSoftwareRenderer(renderer), let meminfo = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) {
            func field(_ name: String) -> Int? {
                guard let line = meminfo.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return nil }
                return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }.map { $0 * 1024 }
            }
            if let total = field("MemTotal") {
                return (total, field("MemAvailable"), "system memory (CPU renderer; /proc/meminfo)")
            }
        }
        return (nil, nil, "unknown: GL has no query; an allocation past the limit fails with GL_OUT_OF_MEMORY")
    }
}
