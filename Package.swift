// swift-tools-version:6.0
// gptoss-gl: a portable GPT-OSS inference engine. Module boundaries follow docs in design.md:
// GGUF, WGSL, Telemetry and GLES import nothing of ours; Kernels imports GLES; GPTOSS imports
// GGUF, GLES, Kernels, Telemetry; HUD imports GLES and Telemetry; the executable wires them.
import PackageDescription

let package = Package(
    name: "gptoss-gl",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "gptoss-gl", targets: ["gptoss-gl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.70.0"),
        // Already in the graph through Hummingbird; named for the HTTP parts the connection limit answers in.
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.34.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
    ],
    targets: [
        // MARK: - System libraries (Debian: libegl-dev, libgles-dev, libpng-dev, libcurl4-openssl-dev, libturbojpeg0-dev)
        .systemLibrary(name: "CEGL", path: "Sources/CEGL", pkgConfig: "egl"),
        .systemLibrary(name: "CGLES", path: "Sources/CGLES", pkgConfig: "glesv2"),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng"),
        .systemLibrary(name: "CCurl", path: "Sources/CCurl", pkgConfig: "libcurl"),
        .systemLibrary(name: "CTurboJPEG", path: "Sources/CTurboJPEG", pkgConfig: "libturbojpeg"),

        // MARK: - Libraries
        .target(name: "RepositoryPaths"),
        .target(name: "GGUF", dependencies: ["CCurl"]),
        .target(name: "WGSL"),
        .target(name: "Telemetry"),
        .target(name: "GLES", dependencies: ["CEGL", "CGLES"]),
        // Always optimised: building the 201k-token vocabulary takes ~20 s unoptimised, ~1 s optimised.
        .target(name: "Tokenizer", dependencies: ["GGUF", "RepositoryPaths"], swiftSettings: [.unsafeFlags(["-O"])]),
        .target(name: "Kernels", dependencies: ["GLES", "RepositoryPaths"]),
        .target(name: "GPTOSS", dependencies: ["GGUF", "GLES", "Kernels", "Telemetry"]),
        .target(name: "HUD", dependencies: ["GLES", "Telemetry", "CPNG", "CTurboJPEG", "CGLES", "RepositoryPaths"]),
        // Parses the GPTOSS_GL_* environment once into the options values above (docs/design.md).
        .target(name: "Settings", dependencies: ["GGUF", "GLES", "Kernels", "HUD"]),
        .target(name: "ModelServer", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        // The OpenAI-compatible HTTP server (docs/server.md): routes, JSON mapping, SSE, metrics.
        .target(name: "Server", dependencies: [
            "GPTOSS", "Tokenizer", "Telemetry",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            // Imported directly (graceful shutdown, the server's logger, byte buffers), so named here.
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            // The connection limit answers its 503 below Hummingbird's router, in the HTTP parts of
            // its pipeline.
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
        ]),

        // MARK: - The executable
        .executableTarget(name: "gptoss-gl", dependencies: [
            "GGUF", "WGSL", "Telemetry", "GLES", "Tokenizer", "Kernels", "GPTOSS", "HUD", "ModelServer", "Server", "RepositoryPaths",
            "Settings",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // MARK: - Fuzz targets (docs/fuzzing.md): plain builds replay inputs; `make fuzz` links libFuzzer.
        .systemLibrary(name: "CLibFuzzer", path: "Fuzz/CLibFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer"], path: "Fuzz/FuzzSupport"),
        .executableTarget(name: "fuzz-gguf", dependencies: ["FuzzSupport", "GGUF"], path: "Fuzz/Targets/fuzz-gguf"),
        .executableTarget(name: "fuzz-wgsl", dependencies: ["FuzzSupport", "WGSL"], path: "Fuzz/Targets/fuzz-wgsl"),
        .executableTarget(name: "fuzz-harmony", dependencies: ["FuzzSupport", "Tokenizer"], path: "Fuzz/Targets/fuzz-harmony"),
        .executableTarget(name: "fuzz-tokenizer", dependencies: ["FuzzSupport", "Tokenizer"], path: "Fuzz/Targets/fuzz-tokenizer"),

        // MARK: - Tests (one target per module)
        // Raw loopback sockets for the tests that speak bytes to a server (both HTTP servers).
        .target(name: "LoopbackTestSupport", path: "Tests/LoopbackTestSupport"),
        .testTarget(name: "GGUFTests", dependencies: ["GGUF", "ModelServer", "LoopbackTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "WGSLTests", dependencies: ["WGSL", "GLES"], exclude: ["in", "out", "diagnostics"]),
        .testTarget(name: "GLESTests", dependencies: ["GLES"]),
        .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer", "GGUF"], exclude: ["Fixtures"]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "GLES"]),
        .testTarget(name: "GPTOSSTests", dependencies: ["GPTOSS", "GGUF", "Kernels", "GLES", "Tokenizer", "Telemetry"], exclude: ["Fixtures"]),
        .testTarget(name: "TelemetryTests", dependencies: ["Telemetry"]),
        .testTarget(name: "ServerTests", dependencies: ["Server", "GPTOSS", "Tokenizer", "LoopbackTestSupport"]),
        .testTarget(name: "HUDTests", dependencies: ["HUD", "Telemetry", "GLES"], exclude: ["Golden", "Fixtures"]),
        .testTarget(name: "SettingsTests", dependencies: ["Settings", "GGUF", "GLES", "Kernels", "HUD"]),
        // The executable's commands (parsed in-process) and the built binary (run with raw argv bytes).
        .testTarget(name: "CommandLineTests", dependencies: [
            "gptoss-gl", "GGUF", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
    ],
    swiftLanguageModes: [.v5]
)
