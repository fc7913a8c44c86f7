import ArgumentParser
import XCTest
@testable import gptoss_gl

/// Option values may start with '-' (issue 20, part 6): text is any text, and a negative number
/// reaches the option's own range check instead of "Missing value". Bad values are usage errors:
/// exit 64 with a message naming the option.
final class LeadingDashValueTests: XCTestCase {
    /// Parses (and validates) `arguments` as `command`, expecting a usage error whose message
    /// contains every one of `mentions`.
    func assertUsageError<C: ParsableCommand>(_ command: C.Type, _ arguments: [String], mentions: [String],
                                              file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try command.parse(arguments), file: file, line: line) { error in
            XCTAssertEqual(command.exitCode(for: error), .validationFailure, "\(arguments): \(error)", file: file, line: line)
            let message = command.message(for: error)
            for word in mentions {
                XCTAssertTrue(message.contains(word), "'\(message)' lacks '\(word)'", file: file, line: line)
            }
            XCTAssertFalse(message.contains("Missing value"), message, file: file, line: line)
        }
    }

    func testTextOptionsTakeValuesThatStartWithADash() throws {
        XCTAssertEqual(try TokenizeCommand.parse(["--text", "-42"]).text, "-42")
        XCTAssertEqual(try TokenizeCommand.parse(["--text", "--json"]).text, "--json", "an option's name is text too")
        XCTAssertFalse(try TokenizeCommand.parse(["--text", "--json"]).json)
        let generate = try GenerateCommand.parse(["--prompt", "-x", "--system", "-s", "--developer", "--be brief"])
        XCTAssertEqual(generate.chat.prompt, "-x")
        XCTAssertEqual(generate.chat.system, "-s")
        XCTAssertEqual(generate.chat.developer, "--be brief")
        XCTAssertEqual(try GenerateCommand.parse(["--prompt", "-"]).chat.prompt, "-")
        XCTAssertEqual(try ServerCommand.parse(["--api-key", "-secret"]).apiKey, "-secret")
    }

    func testNegativeNumbersGetTheRangeError() {
        assertUsageError(GenerateCommand.self, ["--prompt", "x", "--max-tokens", "-1"], mentions: ["--max-tokens", "0 or more", "-1"])
        assertUsageError(GenerateCommand.self, ["--prompt", "x", "--top-k", "-3"], mentions: ["--top-k", "-3"])
        assertUsageError(GenerateCommand.self, ["--prompt", "x", "--attention-layer", "-2"], mentions: ["--attention-layer", "-2"])
        assertUsageError(GenerateCommand.self, ["--prompt", "x", "--context", "-5"], mentions: ["--context", "-5"])
        assertUsageError(GenerateCommand.self, ["--prompt", "x", "--batch", "-5"], mentions: ["--batch", "-5"])
        assertUsageError(GenerateCommand.self, ["--prompt", "x", "--draft-tokens", "-1"], mentions: ["--draft-tokens", "-1"])
        assertUsageError(GenerateCommand.self, ["--tokens", "-1"], mentions: ["--tokens", "'-1'", "not a token id"])
        assertUsageError(GenerateCommand.self, ["--tokens", "1", "--stop", "-7"], mentions: ["--stop", "'-7'"])
        assertUsageError(GenerateCommand.self, ["--prompt", "x", "--seed", "-1"], mentions: ["--seed", "-1"])
        assertUsageError(LogitsCommand.self, ["--tokens", "1,-2", "--out", "x.npy"], mentions: ["--tokens", "'-2'"])
        assertUsageError(DetokenizeCommand.self, ["--ids", "-5"], mentions: ["'-5'", "not a token id"])
        assertUsageError(InspectCommand.self, ["m.gguf", "--limit", "-1"], mentions: ["--limit", "-1"])
        assertUsageError(InspectCommand.self, ["m.gguf", "--array-items", "-1"], mentions: ["--array-items", "-1"])
        assertUsageError(ServeCommand.self, ["f", "--port", "-1"], mentions: ["--port", "-1"])
        assertUsageError(ServerCommand.self, ["--port", "-1"], mentions: ["--port", "-1"])
        assertUsageError(ServerCommand.self, ["--parallel", "-2"], mentions: ["--parallel", "-2"])
        assertUsageError(ServerCommand.self, ["--shutdown-grace", "nan"], mentions: ["--shutdown-grace", "nan"])
        assertUsageError(ServerCommand.self, ["--idle-timeout", "-1"], mentions: ["--idle-timeout", "-1"])
        assertUsageError(ServerCommand.self, ["--idle-timeout", "nan"], mentions: ["--idle-timeout", "nan"])
        assertUsageError(ServerCommand.self, ["--max-connections", "-1"], mentions: ["--max-connections", "-1"])
        assertUsageError(GenerateCommand.self, ["--prompt", "x", "--live-fps", "nan"], mentions: ["--live-fps", "nan"])
        assertUsageError(ServeCommand.self, ["f", "--idle-timeout", "-1"], mentions: ["--idle-timeout", "-1"])
        assertUsageError(SynthCommand.self, ["--preset", "tiny", "--out", "o", "--layers", "-1"], mentions: ["--layers", "-1"])
        assertUsageError(ProbeCommand.self, ["--device", "-1"], mentions: ["--device", "-1"])
        assertUsageError(RenderFramesCommand.self, ["--telemetry", "t.jsonl", "--out", "o", "--from", "-1"], mentions: ["--from", "-1"])
        assertUsageError(BenchCommand.self, ["--depth", "-4"], mentions: ["--depth", "-4"])
        assertUsageError(BenchCommand.self, ["--prompt-tokens", "-4"], mentions: ["--prompt-tokens", "-4"])
        assertUsageError(BenchKernelsCommand.self, ["--cols", "-32"], mentions: ["--cols", "-32"])
        assertUsageError(BenchKernelsCommand.self, ["--cols", "33"], mentions: ["--cols", "multiple of 32"])
        assertUsageError(BenchKernelsCommand.self, ["--lead-in", "-1"], mentions: ["--lead-in", "-1"])
        assertUsageError(BenchKernelsCommand.self, ["--rows", "128,-5"], mentions: ["--rows", "'-5'"])
        assertUsageError(BenchKernelsCommand.self, ["--barrier", "sometimes"], mentions: ["--barrier", "sometimes"])
    }

    /// NaN compares false with every bound, so each check must be written to fail on it.
    func testNotANumberIsAUsageError() {
        assertUsageError(GenerateCommand.self, ["--prompt", "x", "--temperature", "nan"], mentions: ["--temperature", "nan"])
        assertUsageError(GenerateCommand.self, ["--prompt", "x", "--temperature", "inf"], mentions: ["--temperature", "inf"])
        assertUsageError(GenerateCommand.self, ["--prompt", "x", "--temperature", "-0.5"], mentions: ["--temperature", "-0.5"])
        assertUsageError(GenerateCommand.self, ["--prompt", "x", "--top-p", "nan"], mentions: ["--top-p", "nan"])
        assertUsageError(GenerateCommand.self, ["--prompt", "x", "--record-fps", "nan"], mentions: ["--record-fps", "nan"])
        assertUsageError(GenerateCommand.self, ["--prompt", "x", "--record-size", "7x7"], mentions: ["--record-size"])
        assertUsageError(ServeCommand.self, ["f", "--idle-timeout", "nan"], mentions: ["--idle-timeout", "nan"])
        assertUsageError(RenderFramesCommand.self, ["--telemetry", "t.jsonl", "--out", "o", "--fps", "nan"], mentions: ["--fps", "nan"])
        assertUsageError(RenderFramesCommand.self, ["--telemetry", "t.jsonl", "--out", "o", "--from", "nan"], mentions: ["--from", "nan"])
        assertUsageError(RenderFramesCommand.self, ["--telemetry", "t.jsonl", "--out", "o", "--to", "nan"], mentions: ["--to", "nan"])
        assertUsageError(RenderFramesCommand.self, ["--telemetry", "t.jsonl", "--out", "o", "--from", "inf"], mentions: ["--from", "inf"])
    }

    func testValidValuesStillParse() throws {
        let generate = try GenerateCommand.parse(["--prompt", "x", "--temperature", "0.7", "--max-tokens", "0", "--top-p", "0.9"])
        XCTAssertEqual(generate.temperature, 0.7)
        XCTAssertEqual(generate.maxTokens, 0)
        XCTAssertEqual(try BenchCommand.parse(["--depth", "0", "--depth", "64"]).depth, [0, 64])
        XCTAssertEqual(try RenderFramesCommand.parse(["--telemetry", "t.jsonl", "--out", "o", "--from", "1", "--to", "2"]).to, 2)
    }
}
