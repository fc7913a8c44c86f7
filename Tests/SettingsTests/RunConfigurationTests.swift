import Foundation
import XCTest
import GLES
import HUD
import Kernels
@testable import Settings

final class RunConfigurationTests: XCTestCase {
    func testNothingSetGivesTheDefaults() throws {
        let c = try RunConfiguration.parse(["PATH": "/opt/bin:/usr/bin", "HOME": "/root"])
        var expected = RunConfiguration()
        expected.ffmpeg.searchPath = "/opt/bin:/usr/bin"
        XCTAssertEqual(c, expected)
        XCTAssertEqual(c.gl, GLOptions())
    }

    func testEveryVariableReachesItsOption() throws {
        let c = try RunConfiguration.parse([
            "GPTOSS_GL_HOME": "/srv/gptoss", "GPTOSS_GL_HTTP_LOW_SPEED": "256:60", "GPTOSS_GL_EGL_DEVICE": "2", "GPTOSS_GL_EGL_PLATFORM": "Surfaceless",
            "GPTOSS_GL_DEBUG": "1", "GPTOSS_GL_NO_ERROR": "1", "GPTOSS_GL_FLUSH_EVERY": "8", "GPTOSS_GL_UNIFORMS": "subdata",
            "GPTOSS_GL_MAX_IN_FLIGHT": "1024", "GPTOSS_GL_TUNE": "useSubgroups=0,linearWorkgroup=128",
            "GPTOSS_GL_UPLOAD": "staged", "GPTOSS_GL_CHECK_DISPATCH": "1", "GPTOSS_GL_CHECK_GROUPED": "1",
            "GPTOSS_GL_LOAD_TIMING": "1", "GPTOSS_GL_FFMPEG": "/opt/ffmpeg/bin/ffmpeg", "GPTOSS_GL_LAUNCH_BARRIER": "chained",
            "GPTOSS_GL_FINISH_BEFORE_UPLOAD": "1", "GPTOSS_GL_DUMP_PROGRAMS": "/tmp/programs",
        ])
        XCTAssertEqual(c.home, "/srv/gptoss")
        XCTAssertEqual(c.fileOptions.http.lowSpeedLimit, 256)
        XCTAssertEqual(c.fileOptions.http.lowSpeedTime, 60)
        var gl = GLOptions(eglDevice: 2, eglPlatform: .surfaceless, debugOutput: true, noErrorContext: true,
                           flushEvery: 8, uniformUpload: .subdata, maxUniformBlocksInFlight: 1024)
        gl.finishesBeforeUploads = true
        gl.programDumpDirectory = "/tmp/programs"
        XCTAssertEqual(c.gl, gl)
        XCTAssertTrue(c.chainsWithoutProbe)
        XCTAssertFalse(c.omitsLaunchBarriers)
        let tuned = c.tuning.applied(to: .wide)
        XCTAssertFalse(tuned.useSubgroups)
        XCTAssertEqual(tuned.linear.workgroup, 128)
        XCTAssertEqual(c.uploadMethod, .staged)
        XCTAssertTrue(c.checksEveryDispatch && c.verifiesGroupedExperts && c.printsLoadTimings)
        XCTAssertEqual(c.ffmpeg.explicit, "/opt/ffmpeg/bin/ffmpeg")
        XCTAssertNil(try RunConfiguration.parse(["GPTOSS_GL_FLUSH_EVERY": "0"]).gl.flushEvery, "0 means never")
    }

    func testBadValuesAreErrorsNamingTheVariableAndWhatItTakes() {
        let cases: [(String, String, String)] = [
            ("GPTOSS_GL_EGL_DEVICE", "-1", "an EGL device index (0, 1, …)"),
            ("GPTOSS_GL_EGL_PLATFORM", "x11", "device|surfaceless|default"),
            ("GPTOSS_GL_DEBUG", "yes", "0|1"),
            ("GPTOSS_GL_FLUSH_EVERY", "often", "a count ≥ 0 (0: never)"),
            ("GPTOSS_GL_UNIFORMS", "fast", "orphan|subdata|mapped|cached|persistent"),
            ("GPTOSS_GL_LAUNCH_BARRIER", "off", "storage|none|chained"),
            ("GPTOSS_GL_MAX_IN_FLIGHT", "8", "64…4096"),
            ("GPTOSS_GL_UPLOAD", "dma", "mapped|staged"),
            ("GPTOSS_GL_LOAD_TIMING", "", "0|1"),
            ("GPTOSS_GL_FINISH_BEFORE_UPLOAD", "2", "0|1"),
            ("GPTOSS_GL_HOME", "", "a folder path"),
            ("GPTOSS_GL_DUMP_PROGRAMS", "", "a folder path"),
            ("GPTOSS_GL_HTTP_LOW_SPEED", "1024", "BYTES_PER_S:SECONDS (e.g. 1024:30), or 0 for no limit"),
        ]
        for (name, value, expected) in cases {
            XCTAssertThrowsError(try RunConfiguration.parse([name: value]), name) { error in
                XCTAssertEqual(error as? ConfigurationError, .invalidValue(name: name, value: value, expected: expected))
            }
        }
        XCTAssertThrowsError(try RunConfiguration.parse(["GPTOSS_GL_TUNE": "linearWorkgroup=0"])) { error in
            guard case .invalidValue(let name, _, let expected) = error as? ConfigurationError else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "GPTOSS_GL_TUNE")
            XCTAssertTrue(expected.contains("linearWorkgroup takes a positive integer"), expected)
        }
    }

    func testAMisspelledVariableIsAnErrorButTestVariablesPass() throws {
        XCTAssertThrowsError(try RunConfiguration.parse(["GPTOSS_GL_TUNNE": "x"])) { error in
            XCTAssertEqual(error as? ConfigurationError,
                           .unknownVariable(name: "GPTOSS_GL_TUNNE", known: RunConfiguration.variables.map(\.name)))
            XCTAssertTrue("\(error)".contains("GPTOSS_GL_TUNE"), "\(error)")
        }
        XCTAssertEqual(try RunConfiguration.parse(["GPTOSS_GL_UPDATE_GOLDENS": "1", "GPTOSS_GL_TEST_SEED": "random"]),
                       RunConfiguration())
    }

    /// README.md's environment tables list exactly the variables the parser knows (the runtime
    /// table) and the ones only the tests read (the test table).
    func testReadmeDocumentsExactlyTheKnownVariables() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        func tableNames(after heading: String) throws -> [String] {
            let start = try XCTUnwrap(text.range(of: heading), "README.md has no '\(heading)'")
            var names: [String] = []
            var inTable = false
            for line in text[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix("|") {
                    inTable = true
                    if let name = line.split(separator: "`").dropFirst().first, name.hasPrefix("GPTOSS_GL_") { names.append(String(name)) }
                } else if inTable {
                    break
                }
            }
            return names
        }
        XCTAssertEqual(try tableNames(after: "Environment variables (read once at start"), RunConfiguration.variables.map(\.name))
        XCTAssertEqual(Set(try tableNames(after: "Variables the test suite reads")), RunConfiguration.testVariables)
    }
}
