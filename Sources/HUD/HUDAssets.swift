import Foundation
import RepositoryPaths

/// Finds the repository's font folder among the checkout's candidate roots (see RepositoryRoot).
public enum HUDAssets {
    /// `home`: the checkout, when the binary runs elsewhere (GPTOSS_GL_HOME).
    public static func fontsDirectory(home: String? = nil) throws -> String {
        let fonts = RepositoryRoot.candidates(home: home).map { $0 + "/Assets/fonts" }
        guard let found = fonts.first(where: { FileManager.default.fileExists(atPath: $0 + "/" + HUDFonts.names[0] + ".hudfont") }) else {
            throw HUDError.assetsNotFound(searched: fonts)
        }
        return found
    }
}
