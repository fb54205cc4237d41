// muxgate-fixture: a small MCP server over stdio for muxgate's tests.
// stdout carries only protocol messages (newline-delimited JSON-RPC 2.0); diagnostics go to stderr.
// Run with --help for the options.

import Foundation

let options: FixtureOptions
do {
    options = try FixtureOptions.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    logDiagnostic(error.description)
    LineWriter.stderr.writeLine(FixtureOptions.usage)
    terminate(2)
}

if options.showHelp {
    LineWriter.stderr.writeLine(FixtureOptions.usage)
    terminate(0)
}

let server: FixtureServer
do {
    server = try FixtureServer(options: options)
} catch {
    logDiagnostic(error.description)
    terminate(2)
}

server.run()
