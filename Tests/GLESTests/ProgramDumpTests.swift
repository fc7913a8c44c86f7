@testable import GLES
import Foundation
import XCTest

/// `GPTOSS_GL_DUMP_PROGRAMS`: every linked program leaves its GLSL, a note and (where the driver
/// keeps one) its binary in the folder, named after the kernel and its source.
final class ProgramDumpTests: XCTestCase {
    private static let shader = """
    #version 310 es
    layout(local_size_x = 4) in;
    layout(std430, binding = 0) buffer Out { uint data[]; };
    void main() { data[gl_LocalInvocationIndex] = gl_LocalInvocationIndex * 3u; }
    """

    func testALinkedProgramLeavesItsSourceNoteAndBinary() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dump-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        var options = GLOptions()
        options.programDumpDirectory = folder.path
        let context = try GLContext.createHeadless(options: options)
        let program = try context.makeProgram(name: "times three/a", glsl: Self.shader)

        let stem = "times_three_a-\(ProgramDump.hash(Self.shader))"
        let source = try String(contentsOf: folder.appendingPathComponent(stem + ".comp"), encoding: .utf8)
        XCTAssertEqual(source, Self.shader)
        let note = try String(contentsOf: folder.appendingPathComponent(stem + ".txt"), encoding: .utf8)
        XCTAssertTrue(note.hasPrefix("program times three/a\nworkgroup 4 x 1 x 1\n"), note)
        let binary = folder.appendingPathComponent(stem + ".bin")
        if FileManager.default.fileExists(atPath: binary.path) {
            let bytes = try Data(contentsOf: binary)
            XCTAssertFalse(bytes.isEmpty)
            XCTAssertTrue(note.contains("format 0x") && note.contains("\(bytes.count) bytes"), note)
        } else {
            XCTAssertTrue(note.contains("keeps no binary"), note)
        }

        // The dumped program still runs.
        let out = try context.makeBuffer(byteCount: 16, label: "out")
        try context.dispatch(program, storage: [StorageBinding(index: 0, buffer: out)], groups: (1, 1, 1))
        context.barrier()
        XCTAssertEqual(try out.readUInt32s(count: 4), [0, 3, 6, 9])
    }

    func testHashIsStableAndSeparatesSources() {
        XCTAssertEqual(ProgramDump.hash(""), "cbf29ce484222325", "FNV-1a's offset basis")
        XCTAssertEqual(ProgramDump.hash("a"), "af63dc4c8601ec8c", "FNV-1a of 'a'")
        XCTAssertNotEqual(ProgramDump.hash(Self.shader), ProgramDump.hash(Self.shader + " "))
    }

    func testAFolderThatCannotBeMadeIsAClearError() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("dump-file-\(UUID().uuidString)")
        try Data("x".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        var options = GLOptions()
        options.programDumpDirectory = file.appendingPathComponent("inside").path
        let context = try GLContext.createHeadless(options: options)
        XCTAssertThrowsError(try context.makeProgram(name: "k", glsl: Self.shader)) { error in
            XCTAssertTrue("\(error)".contains("program dump folder"), "\(error)")
        }
    }

    /// scripts/program_report.py finds an ELF object (as NVIDIA embeds its cubins) inside a
    /// binary by its header, and reports a binary without one as such.
    func testTheReportFindsEmbeddedELFObjects() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        // A 64-bit little-endian ELF header whose one 64-byte section header ends the object at 128.
        var elf = [UInt8](repeating: 0, count: 128)
        elf.replaceSubrange(0 ..< 6, with: [0x7f, 0x45, 0x4c, 0x46, 2, 1])
        elf[0x28] = 64                       // e_shoff
        elf[0x3A] = 64; elf[0x3C] = 1        // e_shentsize, e_shnum
        let junk = [UInt8]("junk-head!".utf8)
        try Data(junk + elf + [UInt8]("tail...".utf8)).write(to: folder.appendingPathComponent("k_nv-0.bin"))
        try Data("program k_nv\nformat 0x8e21, 145 bytes\n".utf8).write(to: folder.appendingPathComponent("k_nv-0.txt"))
        try Data([UInt8](repeating: 7, count: 40)).write(to: folder.appendingPathComponent("k_other-0.bin"))
        // As NVIDIA's GLES driver writes them: the NV assembly the GLSL became, as text.
        let assembly = "!!NVcp5.0\nGROUP_SIZE 64;\nMAIN:\n LDB.U32.COH R0.x, R1.x, sbo_buf1[0];\n MEMBAR.CTA;\n BAR;\n"
            + " ATOMB.ADD.U32 R2.x, R3.x, sbo_buf15[0];\n LDB.U32.COH R4.x, R1.x, sbo_buf1[4];\nEND\n"
        try Data([0x0b, 0, 0, 0] + [UInt8](assembly.utf8) + [0, 1, 2]).write(to: folder.appendingPathComponent("k_asm-0.bin"))

        let (status, output) = try python([Self.scripts.appendingPathComponent("program_report.py").path, folder.path, "--tools", folder.path])
        XCTAssertEqual(status, 0, output)
        XCTAssertTrue(output.contains("== k_nv-0\n   program k_nv | format 0x8e21, 145 bytes\n   ELF #0 at 10, 128 bytes"), output)
        XCTAssertTrue(output.contains("== k_other-0\n   no ELF object in 40 bytes"), output)
        XCTAssertTrue(output.contains("== k_asm-0\n   NV assembly, 9 lines; memory: ATOMB.ADD.U32 1, BAR 1, LDB.U32.COH 2, MEMBAR.CTA 1"), output)
    }

    /// The report's occupancy of an H100 SM: each bound on its own, the smallest wins.
    func testTheReportWorksOutOccupancy() throws {
        let (status, output) = try python(["-c", """
            import sys; sys.path.insert(0, sys.argv[1]); import program_report as p
            print(p.occupancy(128, 90, 21 * 1024 + 256))
            print(p.occupancy(128, 90, 11 * 1024))
            print(p.occupancy(256, 32, 0))
            print(p.occupancy(1024, 24, 48 * 1024))
            print(p.occupancy_line("Function f: REG:90 STACK:0 SHARED:21760 LOCAL:0", p.workgroup_threads(["program f", "workgroup 128 x 1 x 1"])))
            """, Self.scripts.path])
        XCTAssertEqual(status, 0, output)
        XCTAssertEqual(output.split(separator: "\n").map(String.init), [
            // 90 registers round up to 2 880 a warp: 5 workgroups of 4 warps; shared would allow 10.
            "(5, 20, {'registers': 5, 'shared': 10, 'threads': 16})",
            "(5, 20, {'registers': 5, 'shared': 19, 'threads': 16})",
            "(8, 64, {'registers': 8, 'shared': 32, 'threads': 8})",
            "(2, 64, {'registers': 2, 'shared': 4, 'threads': 2})",
            "5 workgroups = 20 warps an SM on sm_90 (bounds: registers 5, shared 10, threads 16; shared with the full carve-out)",
        ])
    }

    private static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts")

    private func python(_ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output.trimmingCharacters(in: .newlines))
    }
}
