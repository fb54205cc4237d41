import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The fixture's tools: what it lists and how each call behaves.
extension FixtureServer {
    // MARK: - Tools

    enum ToolKind: Sendable, Equatable {
        case numbered(Int), echo, slow, crash, fail, requests, raw, longName, addedLater, ask, notify
    }

    struct Tool: Sendable {
        var kind: ToolKind
        var name: String
        var description: String
        var inputSchema: String

        var json: String {
            "{\"name\":\(jsonString(name)),\"description\":\(jsonString(description)),\"inputSchema\":\(inputSchema)}"
        }
    }

    struct ToolCall: Sendable {
        var id: String
        var name: String
        var rawArguments: String
        var ms: Int
    }

    /// The currently exposed tools, in listing order, with the prefix applied.
    func currentTools() -> [Tool] {
        let object = "{\"type\":\"object\"}"
        var tools: [Tool] = (0..<options.toolCount).map { index in
            Tool(
                kind: .numbered(index),
                name: "tool_\(index)",
                description: "Fixture tool \(index)",
                inputSchema: "{\"type\":\"object\",\"properties\":{\"text\":{\"type\":\"string\"}}}"
            )
        }
        tools += [
            Tool(kind: .echo, name: "echo", description: "Echo the arguments object as JSON text", inputSchema: object),
            Tool(
                kind: .slow,
                name: "slow",
                description: "Sleep ms milliseconds, then answer done",
                inputSchema: "{\"type\":\"object\",\"properties\":{\"ms\":{\"type\":\"integer\"}}}"
            ),
            Tool(kind: .crash, name: "crash", description: "Exit with status 3 without answering", inputSchema: object),
            Tool(kind: .fail, name: "fail", description: "Return an isError result", inputSchema: object),
            Tool(
                kind: .notify,
                name: "notify",
                description: "Send the client a notification (arguments method and params), then answer sent",
                inputSchema: object
            ),
            Tool(
                kind: .ask,
                name: "ask",
                description: "Send the client a request (arguments method and params); answer with its response",
                inputSchema: object
            ),
            Tool(
                kind: .requests,
                name: "requests",
                description: "List every message received so far",
                inputSchema: object
            ),
        ]
        if rawCall != nil {
            tools.append(
                Tool(kind: .raw, name: "raw", description: "Answer with the raw call file", inputSchema: object)
            )
        }
        if options.longNames {
            tools.append(
                Tool(
                    kind: .longName,
                    name: Self.longToolName,
                    description: "Tool with a 100-character name",
                    inputSchema: object
                )
            )
        }
        if lock.withLock({ toolsChanged }) {
            tools.append(
                Tool(
                    kind: .addedLater,
                    name: "added_later",
                    description: "Tool added after the first call",
                    inputSchema: object
                )
            )
        }
        for index in tools.indices {
            tools[index].name = options.toolPrefix + tools[index].name
        }
        return tools
    }

    func listTools(id: String, cursor: Any?) {
        if let rawTools {
            let changed = lock.withLock { toolsChanged }
            send(resultLine(id: id, result: changed ? rawToolsAfterCall ?? rawTools : rawTools))
            return
        }
        let tools = currentTools()
        var page = tools[...]
        var nextCursor: String?
        if let pageSize = options.pageSize {
            var pageIndex = 0
            if let cursor, !(cursor is NSNull) {
                guard let text = cursor as? String, text.hasPrefix("page-"), let number = Int(text.dropFirst(5)),
                    number >= 1, number * pageSize < tools.count
                else {
                    send(errorLine(id: id, code: -32602, message: "Invalid cursor: \(cursor)"))
                    return
                }
                pageIndex = number
            }
            let start = pageIndex * pageSize
            let end = min(start + pageSize, tools.count)
            page = tools[start..<end]
            if end < tools.count { nextCursor = "page-\(pageIndex + 1)" }
        }
        let extra = options.tasks && nextCursor == nil ? [Self.taskTool] : []
        var result = "{\"tools\":[" + (page.map(\.json) + extra).joined(separator: ",") + "]"
        if let nextCursor { result += ",\"nextCursor\":\(jsonString(nextCursor))" }
        result += "}"
        send(resultLine(id: id, result: result))
    }

    func callTool(_ call: ToolCall) {
        guard let tool = currentTools().first(where: { $0.name == call.name }) else {
            send(errorLine(id: call.id, code: -32602, message: "Unknown tool: \(call.name)"))
            toolCallCompleted()
            return
        }
        let result: String
        switch tool.kind {
        case .numbered(let index):
            result = textResult("Fixture tool \(index) called with \(call.rawArguments)")
        case .echo:
            result = textResult(call.rawArguments)
        case .slow:
            Thread {
                Thread.sleep(forTimeInterval: Double(call.ms) / 1000)
                self.send(resultLine(id: call.id, result: textResult("done")))
                self.toolCallCompleted()
            }.start()
            return
        case .crash:
            terminate(3)
        case .fail:
            result = textResult("failed on purpose", isError: true)
        case .requests:
            result = textResult("[" + lock.withLock { received.joined(separator: ",") } + "]")
        case .raw:
            result = rawCall ?? "{}"
        case .longName:
            result = textResult("long name tool called")
        case .addedLater:
            result = textResult("added later")
        case .notify:
            let members = RawJSON.members(of: Array(call.rawArguments.utf8)[...]) ?? [:]
            guard let method = members["method"] else {
                result = textResult("notify needs a method", isError: true)
                break
            }
            let params = members["params"].map { ",\"params\":\($0)" } ?? ""
            send("{\"jsonrpc\":\"2.0\",\"method\":\(method)\(params)}")
            result = textResult("sent")
        case .ask:
            let arguments = Array(call.rawArguments.utf8)
            let members = RawJSON.members(of: arguments[...]) ?? [:]
            guard let method = members["method"] else {
                result = textResult("ask needs a method", isError: true)
                break
            }
            let askID = lock.withLock { () -> String in
                nextAsk += 1
                pendingAsks["\"fx-ask-\(nextAsk)\""] = call.id
                return "\"fx-ask-\(nextAsk)\""
            }
            let params = members["params"].map { ",\"params\":\($0)" } ?? ""
            send("{\"jsonrpc\":\"2.0\",\"id\":\(askID),\"method\":\(method)\(params)}")
            return
        }
        send(resultLine(id: call.id, result: result))
        toolCallCompleted()
    }

    func toolCallCompleted() {
        guard options.changeToolsAfterCall || rawToolsAfterCall != nil else { return }
        let first = lock.withLock {
            defer { toolsChanged = true }
            return !toolsChanged
        }
        if first {
            send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\"}")
        }
    }
}
