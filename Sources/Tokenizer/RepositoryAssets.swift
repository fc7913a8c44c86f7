import Foundation

/// Finds files of the gptoss-gl checkout at run time: env `GPTOSS_GL_HOME` if set, else the
/// package root this file was compiled in (if it still exists), else the executable's directory
/// and its parents. A folder counts as the root when it holds Assets/tokenizer.
public enum RepositoryAssets {
    static let ranksRelativePath = "Assets/tokenizer/o200k_base.tiktoken"

    /// The path of the bundled o200k_base.tiktoken.
    public static func o200kRanksFile() throws -> String {
        for root in candidateRoots() {
            let path = (root as NSString).appendingPathComponent(ranksRelativePath)
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        throw TokenizerError.assetNotFound("the bundled vocabulary \(ranksRelativePath)")
    }

    private static func candidateRoots() -> [String] {
        var roots: [String] = []
        if let home = ProcessInfo.processInfo.environment["GPTOSS_GL_HOME"], !home.isEmpty { roots.append(home) }
        // This file is Sources/Tokenizer/RepositoryAssets.swift: three levels below the root.
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
}
