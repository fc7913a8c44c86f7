import Settings
import Foundation

/// The run's `GPTOSS_GL_*` configuration: the one place the program reads its environment,
/// once, on first use. Every command takes its options from here and hands them down; a bad
/// variable fails the command with the parser's one-line error.
enum RunEnvironment {
    private static let parsed = Result { try RunConfiguration.parse(ProcessInfo.processInfo.environment) }

    static func configuration() throws -> RunConfiguration { try parsed.get() }
}
