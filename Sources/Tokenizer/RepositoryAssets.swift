import Foundation
import RepositoryPaths

/// The tokenizer's files in the checkout (found through RepositoryRoot).
public enum RepositoryAssets {
    static let ranksRelativePath = "Assets/tokenizer/o200k_base.tiktoken"

    /// The path of the bundled o200k_base.tiktoken.
    public static func o200kRanksFile(home: String? = nil) throws -> String {
        guard let path = RepositoryRoot.find(ranksRelativePath, home: home) else {
            throw TokenizerError.assetNotFound("the bundled vocabulary \(ranksRelativePath)")
        }
        return path
    }
}
