import Foundation
#if FUZZING
import CLibFuzzer
#endif

/// The one entry point of every fuzz target. Built by `make fuzz` (with -DFUZZING and the
/// sanitizer-coverage flags) it hands the command line to libFuzzer, which calls `body` with
/// each generated input; built plainly (as `swift build` does) it replays the files and folders
/// named on the command line, so a crash file is reproduced without the fuzzer runtime.
public enum FuzzMain {
    nonisolated(unsafe) private static var body: ([UInt8]) -> Void = { _ in }

    public static func run(_ body: @escaping ([UInt8]) -> Void) -> Never {
        Self.body = body
        #if FUZZING
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            FuzzMain.body(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
            return 0
        })
        #else
        replay(CommandLine.arguments.dropFirst())
        #endif
    }

    /// Runs every file (folders: every file inside) through `body`; prints how many.
    static func replay<Paths: Collection>(_ paths: Paths) -> Never where Paths.Element == String {
        guard !paths.isEmpty else {
            FileHandle.standardError.write(Data("usage: \(CommandLine.arguments[0]) FILE|DIR… (replays inputs; `make fuzz` builds the fuzzing version)\n".utf8))
            exit(64)
        }
        var count = 0
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                FileHandle.standardError.write(Data("error: no file or folder '\(path)'\n".utf8))
                exit(1)
            }
            let files = isDirectory.boolValue
                ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { path + "/" + $0 }
                : [path]
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                body([UInt8](data))
                count += 1
            }
        }
        print("replayed \(count) inputs without a failure")
        exit(0)
    }
}

/// An invariant of the code under test; a violation crashes the target, which libFuzzer reports
/// with the input that caused it.
public func fuzzRequire(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("fuzz invariant violated: \(message())") }
}

/// An error's description must be one line naming what went wrong (the project's error rule).
public func fuzzRequireOneLine(_ error: Error) {
    let text = (error as? LocalizedError)?.errorDescription ?? "\(error)"
    fuzzRequire(!text.isEmpty, "an empty error description for \(error)")
    fuzzRequire(!text.contains("\n"), "a multi-line error description: \(text.debugDescription)")
}
