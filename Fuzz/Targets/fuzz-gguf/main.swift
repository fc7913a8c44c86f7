// Fuzz target: the GGUF header parser and what `inspect` prints of a file it accepts.
// Any bytes: either a one-line GGUFError, or a file whose tensors all lie inside it, can be
// read, and whose inspection (text and JSON) renders.
import FuzzSupport
import GGUF

/// The input as a byte source (no file system in the loop).
final class MemorySource: ByteSource, @unchecked Sendable {
    let bytes: [UInt8]
    var size: UInt64 { UInt64(bytes.count) }
    let name = "fuzz.gguf"
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws {
        guard offset <= size, UInt64(buffer.count) <= size - offset else {
            throw GGUFError.truncated(source: name, field: "a read", offset: offset, needed: UInt64(buffer.count))
        }
        bytes.withUnsafeBytes { all in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: all[Int(offset) ..< Int(offset) + buffer.count]))
        }
    }
}

FuzzMain.run { input in
    let file: GGUFFile
    do {
        file = try GGUFFile(source: MemorySource(input))
    } catch {
        fuzzRequire(error is GGUFError, "not a GGUFError: \(error)")
        fuzzRequireOneLine(error)
        return
    }
    for tensor in file.tensors {
        fuzzRequire(tensor.offset <= UInt64(input.count) && tensor.byteCount <= UInt64(input.count) - tensor.offset,
                    "tensor \(tensor.name) lies outside the file")
        if tensor.byteCount <= 1 << 16 {
            do { _ = try file.tensorData(tensor) } catch { fuzzRequire(false, "an accepted tensor cannot be read: \(error)") }
        }
    }
    let inspection = GGUFInspection(file: file, arrayPreview: 4, tensorLimit: 64)
    let text = inspection.text()
    fuzzRequire(!text.unicodeScalars.contains { $0.value == 0x1B }, "inspect would print an escape character")
    _ = inspection.json()
}
