import ArgumentParser
import Foundation
import GGUF

/// `gptoss-gl inspect MODEL`: the header of a GGUF file or URL — metadata, tensor table, totals.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print a GGUF model's metadata, tensor table and totals by type (from a path or an http(s) URL).",
        discussion: """
        Only the header is read: for a URL, a few HTTP Range requests fetch the metadata and tensor \
        table, and the output ends with how many bytes that took. A split model (…-00001-of-0000N.gguf) \
        is shown as one model whichever part is named.
        """
    )

    @Argument(help: "A .gguf path or an http(s) URL.")
    var model: String

    @Flag(help: "Print JSON instead of tables.")
    var json = false

    @Option(parsing: .unconditional, help: "Show at most N tensors (all when omitted).")
    var limit: Int?

    @Option(parsing: .unconditional, help: "Items shown of each metadata array.")
    var arrayItems = 6

    func validate() throws {
        if let limit, limit < 0 { throw ValidationError("--limit must be 0 or more, got \(limit).") }
        if arrayItems < 0 { throw ValidationError("--array-items must be 0 or more, got \(arrayItems).") }
    }

    func run() throws {
        let file: GGUFFile
        do {
            file = try GGUFFile.open(model, options: RunEnvironment.configuration().fileOptions)
        } catch {
            FileHandle.standardError.write(Data("error: \(error.localizedDescription)\n".utf8))
            throw ExitCode(1)
        }
        let inspection = GGUFInspection(file: file, arrayPreview: arrayItems, tensorLimit: limit)
        print(json ? inspection.json().rendered() : inspection.text(), terminator: json ? "\n" : "")
    }
}
