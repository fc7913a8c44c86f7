// Where the declarations of a flattened kernel go: each after every declaration it mentions.
// WGSL allows any order, but naga (wgpu 0.32) panics building a pipeline from some orders (an
// override declared after functions), and a reader follows a file top-down; so imported
// declarations are not simply appended. The kernel's header (comments, directives) stays first,
// then the overrides, then the kernel's declarations in their order, each preceded by what it
// needs that is not yet written (imported items carry a comment naming their module), then the
// kernel's tail, then anything imported but unused.

enum FlattenLayout {
    /// A declaration to place: where its text is, its name and the names it mentions.
    struct Piece {
        var file: Int
        var range: Range<Int>
        var name: String?
        var keyword: String
        var references: Set<String>
        /// "package::lib::tiles (Shaders/wgsl/lib/tiles.wesl)" for imported pieces; nil for the kernel's.
        var origin: String?
    }

    static func write(kernel: [UInt8], kernelFile: Int, declarations: [TopLevelDeclaration], removing imports: Range<Int>,
                      imported: [Piece], into map: inout SourceMap) {
        // The kernel's header: everything before its first declaration, less the imports.
        let bodyStart = declarations.first?.byteRange.lowerBound ?? kernel.count
        map.append(0..<imports.lowerBound, from: kernelFile)
        var afterImports = imports.upperBound
        if afterImports < kernel.count && kernel[afterImports] == UInt8(ascii: "\n") { afterImports += 1 }
        map.append(afterImports..<max(afterImports, bodyStart), from: kernelFile)
        // Each kernel piece carries the text since the previous declaration (blank lines, loose comments).
        var pieces: [Piece] = []
        var previousEnd = bodyStart
        for declaration in declarations {
            pieces.append(Piece(file: kernelFile, range: previousEnd..<declaration.byteRange.upperBound, name: declaration.name,
                                keyword: declaration.keyword, references: declaration.references, origin: nil))
            previousEnd = declaration.byteRange.upperBound
        }
        let kernelCount = pieces.count
        pieces += imported
        var byName: [String: Int] = [:]
        for (index, piece) in pieces.enumerated() {
            if let name = piece.name, byName[name] == nil { byName[name] = index }
        }
        let dependencies = pieces.enumerated().map { index, piece in
            piece.references.compactMap { byName[$0] }.filter { $0 != index }.sorted()
        }
        var written = Set<Int>()
        func place(_ root: Int) {
            for index in dependencyOrder(from: root, dependencies: dependencies, written: &written) {
                let piece = pieces[index]
                if let origin = piece.origin {
                    // One blank line before, none after: the kernel text that follows opens with its own.
                    map.appendGenerated(map.text.last == UInt8(ascii: "\n") ? "\n" : "\n\n")
                    map.appendGenerated("// from \(origin)\n")
                    map.append(piece.range, from: piece.file)
                } else {
                    // A kernel piece opens with the blank lines and loose comments before it; moved
                    // (an override goes first), it may follow text that did not end its line.
                    if map.text.last.map({ $0 != UInt8(ascii: "\n") }) ?? false { map.appendGenerated("\n") }
                    map.append(piece.range, from: piece.file)
                }
            }
        }
        // Overrides (and the constants their defaults use) before everything else: naga panics
        // building a pipeline when a function precedes an override, even one it does not use.
        for root in pieces.indices where pieces[root].keyword == "override" && !written.contains(root) { place(root) }
        for root in 0..<kernelCount where !written.contains(root) { place(root) }
        // The kernel's tail (its last newline, trailing comments), then what nothing used.
        map.append(previousEnd..<kernel.count, from: kernelFile)
        if kernel.last != UInt8(ascii: "\n") { map.appendGenerated("\n") }
        for root in kernelCount..<pieces.count where !written.contains(root) { place(root) }
    }

    /// `root` and the pieces it needs that are not written yet, dependencies first (depth-first,
    /// without recursion: chains may be long). A cycle (names only approximate what a
    /// declaration uses: a local may share a global's name) is cut where it closes.
    private static func dependencyOrder(from root: Int, dependencies: [[Int]], written: inout Set<Int>) -> [Int] {
        var order: [Int] = []
        var onStack: Set<Int> = [root]
        var stack: [(piece: Int, next: Int)] = [(root, 0)]
        while let top = stack.last {
            let needs = dependencies[top.piece]
            if top.next < needs.count {
                stack[stack.count - 1].next += 1
                let need = needs[top.next]
                if !written.contains(need) && !onStack.contains(need) {
                    stack.append((need, 0))
                    onStack.insert(need)
                }
            } else {
                stack.removeLast()
                onStack.remove(top.piece)
                written.insert(top.piece)
                order.append(top.piece)
            }
        }
        return order
    }
}
