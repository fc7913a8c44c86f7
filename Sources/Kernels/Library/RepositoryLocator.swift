import Foundation

/// Finds the folder holding `Shaders/glsl`: env `GPTOSS_GL_HOME`, else the package root this
/// file was compiled in (when it still exists), else the executable's folder and its parents.
public enum RepositoryLocator {
    public static func shaderDirectory() -> (found: URL?, searched: [String]) {
        var candidates: [URL] = []
        if let home = ProcessInfo.processInfo.environment["GPTOSS_GL_HOME"], !home.isEmpty {
            candidates.append(URL(fileURLWithPath: home))
        }
        // Sources/Kernels/Library/RepositoryLocator.swift → four levels up is the package root.
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0 ..< 4 { root.deleteLastPathComponent() }
        candidates.append(root)
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0 ..< 6 {
            candidates.append(dir)
            dir.deleteLastPathComponent()
        }
        let shaderDirs = candidates.map { $0.appendingPathComponent("Shaders/glsl") }
        let found = shaderDirs.first { FileManager.default.fileExists(atPath: $0.path) }
        return (found, shaderDirs.map(\.path))
    }
}
