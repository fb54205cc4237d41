import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The fixture MCP server: reads newline-delimited JSON-RPC from stdin, answers on stdout.
/// Requests are answered in order on the reading thread, except the `slow` tool and a delayed `initialize`,
/// which run on their own threads so the server stays responsive meanwhile.
final class FixtureServer: @unchecked Sendable {
    static let supportedProtocolVersions = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"]
    static let latestProtocolVersion = "2025-11-25"
    /// Exactly 100 characters, all in [a-z_].
    static let longToolName = "a_very_long_tool_name_" + String(repeating: "x", count: 78)

    struct SetupError: Error, CustomStringConvertible {
        var description: String
    }

    private let options: FixtureOptions
    let rawTools: String?
    let rawToolsAfterCall: String?
    let rawCall: String?
    private let log: LineWriter?
    private let out = LineWriter.stdout

    let lock = NSLock()
    /// Tasks started by the `task` tool, in order: id, status, result (guarded by `lock`).
    var tasks: [(id: String, status: String, result: String)] = []
    /// JSON text of every received message that had a method (guarded by `lock`).
    var received: [String] = []
    /// Set once the first tools/call has completed with --change-tools-after-call (guarded by `lock`).
    var toolsChanged = false
    /// Requests the `ask` tool sent the client: their id → the tools/call id to answer (guarded by `lock`).
    var pendingAsks: [String: String] = [:]
    var nextAsk = 0

    init(options: FixtureOptions) throws(SetupError) {
        self.options = options
        self.rawTools = try options.rawToolsPath.map { path throws(SetupError) in try Self.readRawFile(path) }
        self.rawToolsAfterCall = try options.rawToolsAfterCallPath.map { path throws(SetupError) in
            try Self.readRawFile(path)
        }
        self.rawCall = try options.rawCallPath.map { path throws(SetupError) in try Self.readRawFile(path) }
        if let path = options.logPath {
            guard let writer = LineWriter(appendingTo: path) else {
                throw SetupError(description: "cannot open log file \(path)")
            }
            self.log = writer
        } else {
            self.log = nil
        }
    }

    private static func readRawFile(_ path: String) throws(SetupError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SetupError(description: "cannot read \(path)")
        }
        var text = String(decoding: data, as: UTF8.self)
        while let last = text.unicodeScalars.last, last == "\n" || last == "\r" {
            text.unicodeScalars.removeLast()
        }
        return text
    }

    /// What `--leak-env` echoes: the variable's value and the arguments.
    var leaked: String? {
        options.leakEnv.map { name in
            "\(name)=\(ProcessInfo.processInfo.environment[name] ?? "") args=\(CommandLine.arguments.dropFirst().joined(separator: " "))"
        }
    }

    // MARK: - Main loop

    func run() -> Never {
        signal(SIGPIPE, SIG_IGN)
        if options.stdoutGarbage {
            out.writeLine("this is not json")
        }
        for index in 0..<options.stderrLines {
            LineWriter.stderr.writeLine("fixture stderr line \(index)")
        }
        if let leak = leaked { LineWriter.stderr.writeLine("fixture: starting with \(leak)") }
        while let line = readLine(strippingNewline: true) {
            handle(line: line)
        }
        terminate(0)
    }

    func send(_ line: String) {
        out.writeLine(line)
    }

    private func handle(line: String) {
        log?.writeLine(line)
        let bytes = Array(line.utf8)
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return }

        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) else {
            if !options.neverInitialize { send(errorLine(id: "null", code: -32700, message: "Parse error")) }
            return
        }
        guard let message = object as? [String: Any], let raw = RawJSON.members(of: bytes[...]) else {
            if !options.neverInitialize { send(errorLine(id: "null", code: -32600, message: "Invalid Request")) }
            return
        }
        let id = raw["id"]
        if message["method"] == nil, let id, let call = lock.withLock({ pendingAsks.removeValue(forKey: id) }) {
            // The client's answer to an `ask`: it becomes that tool call's result text, verbatim.
            send(resultLine(id: call, result: textResult(line)))
            return
        }
        guard let method = message["method"] as? String else {
            // A response to a server-initiated request nobody waits for, or garbage: ignore responses.
            if let id, message["result"] == nil, message["error"] == nil, !options.neverInitialize {
                send(errorLine(id: id, code: -32600, message: "Invalid Request"))
            }
            return
        }
        record(method: raw["method"] ?? jsonString(method), id: id, params: raw["params"])

        if options.neverInitialize { return }
        guard let id else { return }  // notifications (including notifications/initialized) are ignored
        let params = message["params"] as? [String: Any] ?? [:]

        switch method {
        case "initialize" where leaked != nil:
            send(errorLine(id: id, code: -32603, message: "cannot start with \(leaked!)"))
        case "initialize":
            let requested = params["protocolVersion"] as? String
            if options.initDelayMs > 0 {
                Thread { self.answerInitialize(id: id, requestedVersion: requested) }.start()
            } else {
                answerInitialize(id: id, requestedVersion: requested)
            }
        case "ping":
            send(resultLine(id: id, result: "{}"))
        case "tools/list":
            listTools(id: id, cursor: params["cursor"])
            if options.stopReading {
                while true { Thread.sleep(forTimeInterval: 3600) }
            }
        case "logging/setLevel", "resources/subscribe",
            "resources/unsubscribe" where options.extras:
            send(resultLine(id: id, result: "{}"))
        case "resources/list" where options.extras:
            send(
                resultLine(
                    id: id,
                    result: "{\"resources\":[{\"uri\":\"fx://note\",\"name\":\"note\",\"mimeType\":\"text/plain\"}]}"
                )
            )
        case "resources/templates/list" where options.extras:
            send(
                resultLine(
                    id: id,
                    result: "{\"resourceTemplates\":[{\"uriTemplate\":\"fx://notes/{name}\",\"name\":\"notes\"}]}"
                )
            )
        case "resources/read" where options.extras:
            let uri = (params["uri"] as? String) ?? ""
            send(
                resultLine(
                    id: id,
                    result: "{\"contents\":[{\"uri\":\(jsonString(uri)),\"text\":\(jsonString("read " + uri))}]}"
                )
            )
        case "prompts/list" where options.prompts:
            send(
                resultLine(
                    id: id,
                    result: "{\"prompts\":[{\"name\":\"greet\",\"arguments\":[{\"name\":\"who\"}]},"
                        + "{\"name\":\"secret_prompt\"}]}"
                )
            )
        case "prompts/get" where options.prompts:
            let name = (params["name"] as? String) ?? ""
            let text = jsonString("prompt " + name)
            send(
                resultLine(
                    id: id,
                    result: "{\"messages\":[{\"role\":\"user\",\"content\":{\"type\":\"text\",\"text\":\(text)}}]}"
                )
            )
        case "completion/complete" where options.extras:
            let value = ((params["argument"] as? [String: Any])?["value"] as? String) ?? ""
            send(resultLine(id: id, result: "{\"completion\":{\"values\":[\(jsonString(value + "-done"))]}}"))
        case "tasks/get", "tasks/result", "tasks/list",
            "tasks/cancel" where options.tasks:
            handleTask(method, id: id, taskID: params["taskId"] as? String)
        case "tools/call" where options.tasks && params["name"] as? String == "task" && params["task"] != nil:
            let rawArguments = raw["params"].flatMap { RawJSON.members(of: $0)?["arguments"] } ?? "{}"
            startTask(id: id, arguments: rawArguments)
        case "tools/call":
            guard let name = params["name"] as? String else {
                send(errorLine(id: id, code: -32602, message: "Missing tool name"))
                return
            }
            let rawArguments = raw["params"].flatMap { RawJSON.members(of: $0)?["arguments"] } ?? "{}"
            let arguments = params["arguments"] as? [String: Any] ?? [:]
            let call = ToolCall(id: id, name: name, rawArguments: rawArguments, ms: Self.milliseconds(arguments["ms"]))
            callTool(call)
        default:
            send(errorLine(id: id, code: -32601, message: "Method not found: \(method)"))
        }
    }

    private func record(method: String, id: String?, params: String?) {
        var entry = "{\"method\":\(method)"
        if let id { entry += ",\"id\":\(id)" }
        if let params { entry += ",\"params\":\(params)" }
        entry += "}"
        lock.withLock { received.append(entry) }
    }

    private static func milliseconds(_ value: Any?) -> Int {
        if let number = value as? NSNumber { return max(0, number.intValue) }
        if let text = value as? String, let number = Int(text) { return max(0, number) }
        return 0
    }

    // MARK: - initialize

    private func answerInitialize(id: String, requestedVersion: String?) {
        if options.initDelayMs > 0 {
            Thread.sleep(forTimeInterval: Double(options.initDelayMs) / 1000)
        }
        let version =
            requestedVersion.flatMap { Self.supportedProtocolVersions.contains($0) ? $0 : nil }
            ?? Self.latestProtocolVersion
        let result =
            "{\"protocolVersion\":\(jsonString(version)),"
            + "\"capabilities\":{\"tools\":{\"listChanged\":true}"
            + (options.tasks ? ",\"tasks\":{\"list\":{},\"cancel\":{},\"requests\":{\"tools\":{\"call\":{}}}}" : "")
            + (options.extras
                ? ",\"logging\":{},\"completions\":{},\"resources\":{\"subscribe\":true,\"listChanged\":true}" : "")
            + (options.prompts ? ",\"prompts\":{}" : "")
            + "},"
            + "\"serverInfo\":{\"name\":\(jsonString(options.name)),\"version\":\"1.0.0\"}}"
        send(resultLine(id: id, result: result))
        if options.crashAfterInit {
            terminate(4)
        }
    }
}
