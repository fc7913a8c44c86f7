// Flattened WGSL is pieced together from several files; this remembers which byte came from
// where, so an error found in the flattened text is reported in the file and line it came from.

struct SourceMap {
    struct File {
        var name: String
        var bytes: [UInt8]
    }

    private struct Segment {
        var flattened: Range<Int>
        var file: Int
        var offset: Int
    }

    private(set) var text: [UInt8] = []
    private var files: [File] = []
    private var segments: [Segment] = []

    /// Adds a file whose bytes `append(_:from:)` copies from; returns its number.
    mutating func addFile(_ file: File) -> Int {
        files.append(file)
        return files.count - 1
    }

    /// Appends `range` of file `file`.
    mutating func append(_ range: Range<Int>, from file: Int) {
        let start = text.count
        text.append(contentsOf: files[file].bytes[range])
        segments.append(Segment(flattened: start..<text.count, file: file, offset: range.lowerBound))
    }

    /// Appends text of our own (a comment, a blank line), which maps to no file.
    mutating func appendGenerated(_ string: String) {
        text.append(contentsOf: Array(string.utf8))
    }

    /// The diagnostic for an error at `span` of the flattened text, in the file the span's start
    /// came from (a span past every segment, such as end of file, goes to the last one).
    func diagnostic(for error: CompileError) -> WGSLDiagnostic {
        let position = error.span.start
        let segment = segments.last { $0.flattened.lowerBound <= position && position < $0.flattened.upperBound }
            ?? segments.last { $0.flattened.upperBound <= position }
            ?? segments.first
        guard let segment else {
            return WGSLDiagnostic(message: error.message, span: error.span, source: text, fileName: files.first?.name ?? "")
        }
        let delta = segment.offset - segment.flattened.lowerBound
        let start = min(position, segment.flattened.upperBound) + delta
        let end = min(error.span.end, segment.flattened.upperBound) + delta
        let file = files[segment.file]
        return WGSLDiagnostic(message: error.message, span: SourceSpan(start: start, end: end), source: file.bytes, fileName: file.name)
    }
}
