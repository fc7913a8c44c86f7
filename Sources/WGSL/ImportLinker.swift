// Resolves a kernel's imports into one flattened WGSL text: the kernel without its import
// statements, with every imported declaration and every module declaration those use, each
// once (FlattenLayout decides where). The translator parses that text; the source map sends an
// error in it back to the file and line it came from.
//
// Names inside a module resolve to the module's own declarations, then to its imports; any
// other name is left for the importing kernel to declare (its bindings, overrides and Params),
// which is where this subset differs from WESL (docs/wgsl.md, "Imports").

struct LinkedSource {
    var map: SourceMap
    var text: [UInt8] { map.text }
}

final class ImportLinker {
    /// A file read for linking: the kernel or a module.
    private struct LoadedFile {
        var key: String
        /// Module path below the package root (`["lib", "rows"]`; the kernel: its file stem).
        var segments: [String]
        var fileName: String
        var bytes: [UInt8]
        var header: ImportHeader
        var declarations: [TopLevelDeclaration]
        var byName: [String: Int]
        /// Imported name → the module it comes from, and the import that named it.
        var imports: [String: (module: String, name: ImportedName)] = [:]
    }

    private let package: WGSLPackage?
    private var files: [String: LoadedFile] = [:]
    private var loading: [String] = []

    private init(package: WGSLPackage?) {
        self.package = package
    }

    /// The flattened source of the kernel `source` (itself, unchanged, when it imports nothing).
    /// - Throws: `WGSLDiagnostic`, in the file the problem is in.
    static func link(source: [UInt8], fileName: String, package: WGSLPackage?) throws -> LinkedSource {
        let linker = ImportLinker(package: package)
        let stem = String(fileName.split(separator: "/").last ?? "kernel").split(separator: ".").first.map(String.init) ?? "kernel"
        let kernel = try linker.load(key: "package::\(stem)", segments: [stem], fileName: fileName, bytes: source, isKernel: true)
        return LinkedSource(map: try linker.flatten(kernel))
    }

    // MARK: - Loading

    private func load(key: String, segments: [String], fileName: String, bytes: [UInt8], isKernel: Bool) throws -> LoadedFile {
        func fail(_ error: CompileError) -> WGSLDiagnostic {
            WGSLDiagnostic(message: error.message, span: error.span, source: bytes, fileName: fileName)
        }
        var file: LoadedFile
        do {
            let tokens = try Lexer.tokenize(bytes, allowsReservedWords: true)
            let header = try ImportParser.parse(tokens)
            let (declarations, directives) = try TopLevelScanner.scan(tokens, from: header.bodyTokenIndex, source: bytes)
            if !isKernel {
                if let directive = directives.first {
                    throw CompileError("a module cannot hold '\(directive.keyword)' directives: put them in the kernels that import from it", directive.span)
                }
                // Syntax errors anywhere in a module are reported in it, imported part or not.
                var body = bytes
                if let range = header.byteRange {
                    for i in range where body[i] != UInt8(ascii: "\n") { body[i] = UInt8(ascii: " ") }
                }
                _ = try Parser.parse(body)
            }
            var byName: [String: Int] = [:]
            for (index, declaration) in declarations.enumerated() {
                guard let name = declaration.name else { continue }
                if byName[name] != nil {
                    throw CompileError("'\(NameSuggestion.shown(name))' is declared twice at module scope: rename one of them", declaration.nameSpan)
                }
                byName[name] = index
            }
            file = LoadedFile(key: key, segments: segments, fileName: fileName, bytes: bytes, header: header,
                              declarations: declarations, byName: byName)
        } catch let error as CompileError {
            throw fail(error)
        }
        guard !file.header.names.isEmpty else { return file }
        loading.append(key)
        defer { loading.removeLast() }
        for name in file.header.names {
            do {
                let target = try resolveModule(name, from: file)
                if let local = file.byName[name.item] {
                    let line = lineNumber(of: file.declarations[local].nameSpan.start, in: bytes)
                    throw CompileError("imported '\(NameSuggestion.shown(name.item))' clashes with the '\(NameSuggestion.shown(name.item))' declared at line \(line): rename that one or drop the import", name.itemSpan)
                }
                if let earlier = file.imports[name.item], earlier.module != target {
                    throw CompileError("'\(NameSuggestion.shown(name.item))' is imported from both \(earlier.module) and \(target): import it from one", name.itemSpan)
                }
                file.imports[name.item] = (target, name)
            } catch let error as CompileError {
                throw fail(error)
            }
        }
        return file
    }

    /// Loads (once) the module `name` comes from and checks it declares the item; returns its key.
    private func resolveModule(_ name: ImportedName, from importer: LoadedFile) throws -> String {
        var segments: [String]
        switch name.root {
        case .package:
            segments = name.modulePath
        case .ancestor(let levels):
            guard levels <= importer.segments.count else {
                throw CompileError("this path climbs \(levels) module(s) up from \(importer.key), above the package root", name.pathSpan)
            }
            segments = Array(importer.segments.dropLast(levels)) + name.modulePath
        }
        let key = "package::" + segments.joined(separator: "::")
        if let cycleStart = loading.firstIndex(of: key) {
            let cycle = (loading[cycleStart...] + [key]).joined(separator: " → ")
            throw CompileError("circular import: \(cycle); modules may not import one another in a cycle (move the shared part into a module of its own)", name.pathSpan)
        }
        if files[key] == nil {
            if loading.count > Nesting.maxImportDepth {
                throw CompileError("modules import one another more than \(Nesting.maxImportDepth) deep (\(loading.prefix(3).joined(separator: " → ")) → …): flatten the chain", name.pathSpan)
            }
            guard let package else {
                throw CompileError("imports need a package root to find modules in (translate the file from disk, or pass a package)", name.pathSpan)
            }
            guard let found = package.module(segments) else {
                let base = segments.joined(separator: "/")
                throw CompileError("no module \(key): neither \(package.displayName(base + ".wesl")) nor \(package.displayName(base + ".wgsl")) exists", name.pathSpan)
            }
            let fileName = package.displayName(found.relativePath)
            let text = try SourceText.decode(found.bytes, fileName: fileName)
            files[key] = try load(key: key, segments: segments, fileName: fileName, bytes: Array(text.utf8), isKernel: false)
        }
        let module = files[key]!
        // Only what a module declares can be imported from it (WESL re-exports only with
        // `public import`, which this subset does not take).
        if module.byName[name.item] == nil {
            var cells = 0
            let hint = NameSuggestion.closest(to: name.item, among: module.byName.keys.sorted(), cells: &cells)
                .map { ": did you mean '\($0)'?" } ?? ""
            throw CompileError("module \(key) (\(module.fileName)) declares no '\(NameSuggestion.shown(name.item))'\(hint)", name.itemSpan)
        }
        return key
    }

    private func lineNumber(of offset: Int, in bytes: [UInt8]) -> Int {
        1 + bytes[..<min(offset, bytes.count)].reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
    }

    // MARK: - Flattening

    /// An item the flattened text must hold, and the kernel import that brought it in.
    private struct Need {
        var module: String
        var item: String
        var anchor: ImportedName
        /// The item whose body uses this one (nil for the kernel's own import).
        var usedBy: String?
    }

    private func flatten(_ kernel: LoadedFile) throws -> SourceMap {
        var map = SourceMap()
        let kernelIndex = map.addFile(SourceMap.File(name: kernel.fileName, bytes: kernel.bytes))
        guard let importRange = kernel.header.byteRange else {
            map.append(0..<kernel.bytes.count, from: kernelIndex)
            return map
        }
        var (pulled, order) = ([String: String](), [(module: String, declaration: Int)]())
        var pending = kernel.header.names.reversed().map { name in
            Need(module: kernel.imports[name.item]!.module, item: name.item, anchor: name, usedBy: nil)
        }
        while let need = pending.popLast() {
            let (moduleKey, item) = (need.module, need.item)
            let module = files[moduleKey]!
            if let earlier = pulled[item] {
                if earlier == moduleKey { continue }
                throw clash("'\(NameSuggestion.shown(item))' comes from both \(earlier) and \(moduleKey)\(usedBy(need)): the flattened kernel can hold only one; rename one of them", need, kernel)
            }
            if let local = kernel.byName[item] {
                let line = lineNumber(of: kernel.declarations[local].nameSpan.start, in: kernel.bytes)
                throw clash("'\(NameSuggestion.shown(item))' from \(moduleKey)\(usedBy(need)) clashes with the kernel's own '\(NameSuggestion.shown(item))' at line \(line): rename the kernel's", need, kernel)
            }
            pulled[item] = moduleKey
            guard let index = module.byName[item] else { continue }
            order.append((moduleKey, index))
            for reference in module.declarations[index].references.sorted().reversed() where reference != item {
                if module.byName[reference] != nil {
                    pending.append(Need(module: moduleKey, item: reference, anchor: need.anchor, usedBy: item))
                } else if let imported = module.imports[reference] {
                    pending.append(Need(module: imported.module, item: reference, anchor: need.anchor, usedBy: item))
                }
            }
        }
        var imported: [FlattenLayout.Piece] = []
        var modulesInOrder: [String] = []
        for (module, _) in order where !modulesInOrder.contains(module) { modulesInOrder.append(module) }
        for key in modulesInOrder {
            let module = files[key]!
            let fileIndex = map.addFile(SourceMap.File(name: module.fileName, bytes: module.bytes))
            for index in order.filter({ $0.module == key }).map(\.declaration).sorted() {
                let declaration = module.declarations[index]
                imported.append(FlattenLayout.Piece(file: fileIndex, range: declaration.byteRange, name: declaration.name,
                                                    keyword: declaration.keyword, references: declaration.references,
                                                    origin: "\(key) (\(module.fileName))"))
            }
        }
        FlattenLayout.write(kernel: kernel.bytes, kernelFile: kernelIndex, declarations: kernel.declarations,
                            removing: importRange, imported: imported, into: &map)
        return map
    }

    private func usedBy(_ need: Need) -> String {
        need.usedBy.map { ", which '\(NameSuggestion.shown($0))' uses," } ?? ""
    }

    /// A clash reported at the kernel import that brought the item in.
    private func clash(_ message: String, _ need: Need, _ kernel: LoadedFile) -> WGSLDiagnostic {
        WGSLDiagnostic(message: message, span: need.anchor.itemSpan, source: kernel.bytes, fileName: kernel.fileName)
    }
}
