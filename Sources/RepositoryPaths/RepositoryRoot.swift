import Foundation

/// Finds files of the gptoss-gl checkout at run time (shaders, fonts, the vocabulary, the
/// bundled model), in this order: `home` (the executable passes GPTOSS_GL_HOME); the package root this file was compiled
/// in, if it still exists (tests, `swift run`, `make demo`); the executable's folder and its
/// parents (a binary copied beside `Shaders/` and `Assets/`, as on the GPU machine).
public enum RepositoryRoot {
    /// The folders tried, in order.
    public static func candidates(home: String? = nil) -> [String] {
        var roots: [String] = []
        if let home, !home.isEmpty { roots.append(home) }
        // This file is Sources/RepositoryPaths/RepositoryRoot.swift: three levels below the root.
        var source = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { source.deleteLastPathComponent() }
        roots.append(source.path)
        var directory = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
        for _ in 0..<6 {
            directory.deleteLastPathComponent()
            roots.append(directory.path)
        }
        return roots
    }

    /// The first existing `relativePath` under a candidate root, or nil.
    public static func find(_ relativePath: String, home: String? = nil) -> String? {
        for root in candidates(home: home) {
            let path = (root as NSString).appendingPathComponent(relativePath)
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        return nil
    }
}
