import CGLES
import Foundation

/// Writes a linked program's driver binary (glGetProgramBinary) and its GLSL into a folder
/// (`GLOptions.programDumpDirectory`), so what the driver made of a kernel can be read off the
/// card: NVIDIA's binaries carry the compiled code, where register counts (which bound how many
/// warps share an SM) and the kind of each load (cached, coherent, volatile) can be seen.
///
/// Each program gives three files named after its kernel and a hash of its GLSL (programs of one
/// kernel with other overrides differ in their GLSL): `NAME-HASH.comp` (the source),
/// `NAME-HASH.bin` (the binary, absent where the driver returns none) and `NAME-HASH.txt` (the
/// binary format enum and its length, or why there is no binary, and the workgroup size, from
/// which `scripts/program_report.py` works out how many workgroups fit an SM).
enum ProgramDump {
    static func write(program: GLuint, name: String, glsl: String, workgroupSize: [Int], into directory: String) throws {
        let folder = URL(fileURLWithPath: directory, isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw GLESError.invalidArgument("cannot create the program dump folder \(directory): \(error.localizedDescription)")
        }
        let stem = "\(fileName(name))-\(hash(glsl))"
        var length: GLint = 0
        glGetProgramiv(program, gl(GL_PROGRAM_BINARY_LENGTH), &length)
        var note = "program \(name)\nworkgroup \(workgroupSize.map(String.init).joined(separator: " x "))\n"
        if length > 0 {
            var bytes = [UInt8](repeating: 0, count: Int(length))
            var written: GLsizei = 0
            var format: GLenum = 0
            glGetProgramBinary(program, length, &written, &format, &bytes)
            if let error = takeGLError() {
                note += "glGetProgramBinary failed: \(glErrorName(error))\n"
            } else {
                note += String(format: "format 0x%04x, %d bytes\n", format, Int(written))
                try save(Data(bytes.prefix(Int(written))), folder.appendingPathComponent(stem + ".bin"))
            }
        } else {
            note += "the driver keeps no binary for this program (GL_PROGRAM_BINARY_LENGTH 0)\n"
        }
        try save(Data(glsl.utf8), folder.appendingPathComponent(stem + ".comp"))
        try save(Data(note.utf8), folder.appendingPathComponent(stem + ".txt"))
    }

    /// The kernel name with anything but letters, digits, `_`, `-` and `.` replaced by `_`.
    static func fileName(_ name: String) -> String {
        String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) ? $0 : "_" })
    }

    /// FNV-1a of the source, 16 hex digits: stable across runs (Swift's Hasher is seeded).
    static func hash(_ text: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01b3
        }
        return String(format: "%016llx", h)
    }

    private static func save(_ data: Data, _ url: URL) throws {
        do {
            try data.write(to: url)
        } catch {
            throw GLESError.invalidArgument("cannot write \(url.path): \(error.localizedDescription)")
        }
    }
}
