import Foundation

/// Finds the repository's Assets folder at run time: env GPTOSS_GL_HOME, else the checkout this
/// file was compiled in (if it still exists), else the executable's folder and its parents.
public enum HUDAssets {
    public static func fontsDirectory() throws -> String {
        var candidates: [String] = []
        if let home = ProcessInfo.processInfo.environment["GPTOSS_GL_HOME"], !home.isEmpty {
            candidates.append(home)
        }
        // Sources/HUD/HUDAssets.swift → the package root, three levels up.
        candidates.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path)
        var folder = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            candidates.append(folder.path)
            folder = folder.deletingLastPathComponent()
        }
        let fonts = candidates.map { $0 + "/Assets/fonts" }
        guard let found = fonts.first(where: { FileManager.default.fileExists(atPath: $0 + "/" + HUDFonts.names[0] + ".hudfont") }) else {
            throw HUDError.assetsNotFound(searched: fonts)
        }
        return found
    }
}
