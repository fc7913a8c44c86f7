// Errors a kernel author reads: where (file:line:col), the offending source line, a caret under
// the exact span, and a message that says what to do. Every stage of the pipeline reports through
// this one type so the rendering is identical whether the lexer, the resolver or the writer failed.
import Foundation

/// A half-open byte range into the UTF-8 source. Every AST node and IR expression carries one.
public struct SourceSpan: Hashable, Sendable {
    public var start: Int
    public var end: Int

    public init(start: Int, end: Int) {
        self.start = start
        self.end = max(start, end)
    }

    /// A span covering both `self` and `other`.
    func union(_ other: SourceSpan) -> SourceSpan {
        SourceSpan(start: min(start, other.start), end: max(end, other.end))
    }

    static let none = SourceSpan(start: 0, end: 0)
}

/// An error found in WGSL source, rendered like a compiler message:
///
///     kernel.wgsl:12:14: error: cannot add f32 and u32: convert one side, e.g. f32(x)
///         let y = a + b;
///                 ^~~~~
public struct WGSLDiagnostic: Error, LocalizedError, CustomStringConvertible, Equatable {
    public let fileName: String
    public let line: Int
    public let column: Int
    public let message: String
    public let sourceLine: String
    /// Number of carets-plus-tildes under the source line (at least one).
    public let underlineLength: Int

    public init(message: String, span: SourceSpan, source: [UInt8], fileName: String) {
        self.fileName = fileName
        self.message = message
        let clampedStart = min(max(0, span.start), source.count)
        var lineStart = clampedStart
        while lineStart > 0 && source[lineStart - 1] != UInt8(ascii: "\n") { lineStart -= 1 }
        var lineEnd = clampedStart
        while lineEnd < source.count && source[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
        var lineNumber = 1
        for byte in source[0..<lineStart] where byte == UInt8(ascii: "\n") { lineNumber += 1 }
        self.line = lineNumber
        // Columns count characters, not bytes, so carets line up under non-ASCII text too.
        let prefix = String(decoding: source[lineStart..<clampedStart], as: UTF8.self)
        self.column = prefix.count + 1
        let text = String(decoding: source[lineStart..<lineEnd], as: UTF8.self)
        self.sourceLine = text.replacingOccurrences(of: "\t", with: " ")
        let spanEndOnLine = min(max(span.end, clampedStart + 1), lineEnd)
        let covered = String(decoding: source[clampedStart..<max(clampedStart, spanEndOnLine)], as: UTF8.self)
        self.underlineLength = max(1, covered.count)
    }

    /// Source lines longer than this are shown as a window around the caret.
    static let maxShownLineLength = 160

    public var description: String {
        let (shownLine, caretOffset, caretLength) = window()
        let caret = String(repeating: " ", count: caretOffset) + "^" + String(repeating: "~", count: caretLength - 1)
        return "\(fileName):\(line):\(column): error: \(message)\n\(shownLine)\n\(caret)"
    }

    /// The source line as shown, with the caret's offset and length in it: whole when short,
    /// else 120 characters from a little before the caret, elided with "…" at either end (a
    /// megabyte-long line would bury the message).
    private func window() -> (line: String, caretOffset: Int, caretLength: Int) {
        let characters = Array(sourceLine)
        guard characters.count > Self.maxShownLineLength else { return (sourceLine, column - 1, underlineLength) }
        let width = 120
        let start = max(0, min(column - 1 - 40, characters.count - width))
        let end = min(characters.count, start + width)
        let shown = (start > 0 ? "…" : "") + String(characters[start..<end]) + (end < characters.count ? "…" : "")
        let offset = column - 1 - start + (start > 0 ? 1 : 0)
        return (shown, offset, max(1, min(underlineLength, end - (column - 1))))
    }

    public var errorDescription: String? { description }
}

/// What the pipeline stages throw before the front door attaches the file name and source text.
struct CompileError: Error {
    let message: String
    let span: SourceSpan

    init(_ message: String, _ span: SourceSpan) {
        self.message = message
        self.span = span
    }
}
