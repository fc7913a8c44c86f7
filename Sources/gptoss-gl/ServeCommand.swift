import ArgumentParser
import Foundation
import ModelServer

/// `gptoss-gl serve FILE…`: an HTTP server for model files with Range and CORS support.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve model files over HTTP with Range requests (for loading by URL, from this or another machine).",
        discussion: """
        Each FILE is served at /<its file name>; / lists them. GET and HEAD with single byte ranges \
        (206, 416 when unsatisfiable), Accept-Ranges, Content-Length, ETag and Last-Modified, and CORS \
        headers so a browser page may fetch from it. Bodies are sent with sendfile, never read into \
        memory. Idle and half-open connections are closed after --idle-timeout. Stop with Ctrl-C.
        """
    )

    @Argument(help: "Files to serve.")
    var files: [String]

    @Option(help: "Address to listen on (0.0.0.0 for every interface).")
    var host = "127.0.0.1"

    @Option(parsing: .unconditional, help: "Port to listen on (0 picks a free one).")
    var port = 8080

    @Option(parsing: .unconditional, help: "Seconds a connection may stay idle or half-open (no request arriving, no response going out) before it is closed; 0 keeps it for ever.")
    var idleTimeout = ModelServer.defaultIdleTimeout

    @Flag(help: "Do not print a line per request to stderr.")
    var quiet = false

    func validate() throws {
        if files.isEmpty { throw ValidationError("name at least one file to serve.") }
        if !(0...65535).contains(port) { throw ValidationError("--port must be 0...65535, got \(port).") }
        if !(idleTimeout >= 0 && idleTimeout.isFinite) { throw ValidationError("--idle-timeout must be 0 or more seconds, got \(idleTimeout).") }
    }

    func run() throws {
        let printRequest: @Sendable (String) -> Void = { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        let log = quiet ? nil : printRequest
        let server: ModelServer
        do {
            server = try ModelServer(files: files, host: host, port: port, idleTimeout: idleTimeout, log: log)
            try server.start()
        } catch {
            FileHandle.standardError.write(Data("error: \(error.localizedDescription)\n".utf8))
            throw ExitCode(1)
        }
        for route in server.routes.keys.sorted() { print("serving \(server.baseURL)\(route)") }
        fflush(stdout)
        try server.wait()
    }
}
