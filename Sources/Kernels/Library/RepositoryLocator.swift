import Foundation
import RepositoryPaths

/// Finds the folder holding `Shaders/glsl` among the checkout's candidate roots (see RepositoryRoot).
public enum RepositoryLocator {
    public static func shaderDirectory(home: String? = nil) -> (found: URL?, searched: [String]) {
        let shaderDirs = RepositoryRoot.candidates(home: home).map { URL(fileURLWithPath: $0).appendingPathComponent("Shaders/glsl") }
        let found = shaderDirs.first { FileManager.default.fileExists(atPath: $0.path) }
        return (found, shaderDirs.map(\.path))
    }
}
