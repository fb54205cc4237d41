import Foundation

/// Command-line options of the fixture server. Parsed by hand (no ArgumentParser dependency).
struct FixtureOptions: Sendable {
    var name = "fixture"
    var toolCount = 3
    var toolPrefix = ""
    var longNames = false
    var neverInitialize = false
    var initDelayMs = 0
    var crashAfterInit = false
    var pageSize: Int?
    var logPath: String?
    var stderrLines = 0
    var stdoutGarbage = false
    var rawToolsPath: String?
    var rawToolsAfterCallPath: String?
    var rawCallPath: String?
    var changeToolsAfterCall = false
    var tasks = false
    var extras = false
    var prompts = false
    var leakEnv: String?
    var stopReading = false
    var showHelp = false

    static let usage = """
        usage: muxgate-fixture [options]
          --name NAME                 serverInfo.name (default "fixture")
          --tools N                   expose tool_0 ... tool_{N-1} (default 3)
          --prefix-tools P            prefix every tool name with P
          --long-names                also expose a tool with a 100-character name
          --never-initialize          never answer anything (read and ignore)
          --init-delay-ms N           sleep N ms before answering initialize
          --crash-after-init          exit(4) right after the initialize response
          --paginate K                tools/list pages of K tools (cursors page-1, page-2, ...)
          --log FILE                  append every received line to FILE
          --stderr-lines N            write N lines to stderr at start
          --stdout-garbage            write "this is not json" to stdout at start
          --raw-tools FILE            tools/list result = exact bytes of FILE
          --raw-call FILE             tools/call of "raw" result = exact bytes of FILE
          --change-tools-after-call   add tool added_later after the first tools/call
          --stop-reading-after-tools-list  never read stdin again after answering tools/list
          --extras                    logging, resources (fx://note, subscribable) and completions
                                      capabilities, answered minimally
          --prompts                   prompts capability: prompts greet and secret_prompt
          --leak-env VAR              echo $VAR and the arguments on stderr and in an initialize
                                      error (a child that leaks what it was given)
          --tasks                     tasks capability; tool "task" (taskSupport optional) runs as a
                                      task when called with params.task; tasks/get|result|list|cancel
                                      completes and send notifications/tools/list_changed
          --raw-tools-after-call FILE with --raw-tools: after the first tools/call, list FILE instead
                                      and send notifications/tools/list_changed
        """

    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    static func parse(_ arguments: [String]) throws(ParseError) -> FixtureOptions {
        var options = FixtureOptions()
        var remaining = arguments[...]

        func value(for flag: String) throws(ParseError) -> String {
            guard let next = remaining.popFirst() else {
                throw ParseError(description: "missing value for \(flag)")
            }
            return next
        }
        func integer(for flag: String, minimum: Int) throws(ParseError) -> Int {
            let text = try value(for: flag)
            guard let number = Int(text), number >= minimum else {
                throw ParseError(description: "invalid value for \(flag): \(text) (integer >= \(minimum) expected)")
            }
            return number
        }

        while let flag = remaining.popFirst() {
            switch flag {
            case "--name": options.name = try value(for: flag)
            case "--tools": options.toolCount = try integer(for: flag, minimum: 0)
            case "--prefix-tools": options.toolPrefix = try value(for: flag)
            case "--long-names": options.longNames = true
            case "--never-initialize": options.neverInitialize = true
            case "--init-delay-ms": options.initDelayMs = try integer(for: flag, minimum: 0)
            case "--crash-after-init": options.crashAfterInit = true
            case "--paginate": options.pageSize = try integer(for: flag, minimum: 1)
            case "--log": options.logPath = try value(for: flag)
            case "--stderr-lines": options.stderrLines = try integer(for: flag, minimum: 0)
            case "--stdout-garbage": options.stdoutGarbage = true
            case "--raw-tools": options.rawToolsPath = try value(for: flag)
            case "--raw-tools-after-call": options.rawToolsAfterCallPath = try value(for: flag)
            case "--raw-call": options.rawCallPath = try value(for: flag)
            case "--change-tools-after-call": options.changeToolsAfterCall = true
            case "--tasks": options.tasks = true
            case "--extras": options.extras = true
            case "--prompts": options.prompts = true
            case "--leak-env": options.leakEnv = try value(for: flag)
            case "--stop-reading-after-tools-list": options.stopReading = true
            case "-h", "--help": options.showHelp = true
            default:
                throw ParseError(description: "unknown option: \(flag)")
            }
        }
        return options
    }
}
