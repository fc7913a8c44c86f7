// Where imports look for modules: a package root (for the kernels, Shaders/wgsl). The module
// `package::lib::rows` is the file `lib/rows.wesl` under it (or `lib/rows.wgsl`, as WESL allows).
import Foundation

public struct WGSLPackage: Sendable {
    /// How file names under the root read in diagnostics (`Shaders/wgsl`).
    public let displayRoot: String
    private let read: @Sendable (String) -> [UInt8]?

    /// The package rooted at `directory`; `displayRoot` prefixes module file names in messages.
    public init(directory: URL, displayRoot: String) {
        self.displayRoot = displayRoot
        self.read = { relativePath in
            (try? Data(contentsOf: directory.appendingPathComponent(relativePath))).map { Array($0) }
        }
    }

    /// A package held in memory: module files by path relative to the root (`lib/rows.wesl`).
    public init(files: [String: String], displayRoot: String = "") {
        self.displayRoot = displayRoot
        self.read = { files[$0].map { Array($0.utf8) } }
    }

    /// The file backing a module, by its path segments below the root: its relative path and
    /// bytes, `.wesl` preferred over `.wgsl`; nil when neither exists.
    func module(_ segments: [String]) -> (relativePath: String, bytes: [UInt8])? {
        let base = segments.joined(separator: "/")
        for candidate in [base + ".wesl", base + ".wgsl"] {
            if let bytes = read(candidate) { return (candidate, bytes) }
        }
        return nil
    }

    func displayName(_ relativePath: String) -> String {
        displayRoot.isEmpty ? relativePath : displayRoot + "/" + relativePath
    }
}
