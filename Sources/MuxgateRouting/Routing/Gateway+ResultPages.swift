import Logging
import MuxgateConfig
import MuxgatePolicy
import MuxgateWire

/// The size guard: a result whose text passes its tool's cap (`max_result`) reaches the IDE cut,
/// with a note saying how to read on; the rest is kept for the session and read a page at a time
/// with `read_result_page` (listed when some tool has a cap). Its tools get
/// `_meta["anthropic/maxResultSizeChars"]` where the cap allows more than Claude Code's default.
extension Gateway {
    /// The result to send instead of `result` (with `edits` applied) when its text is over the
    /// tool's cap; nil when it fits (or no cap applies).
    nonisolated func capResult(
        _ result: JSONSlice,
        edits: JSONSplice,
        screen: ResultScreen,
        session: ClientSession,
        verdict: inout ResultGuard.Verdict
    ) -> JSONValue? {
        guard let cap = screen.settings.maxResult?.bytes, result.range.count > cap else { return nil }
        let edited =
            edits.isEmpty ? result : (try? JSONSlice.parse(edits.apply(to: result.buffer, within: result.range)))
        guard let edited, let text = ResultPages.oversizedText(edited, limit: cap) else { return nil }
        // Room for the note, so the answer stays within the cap.
        let pageSize = max(cap - 512, 512)
        let headEnd = ResultPages.bounds(text, size: pageSize)[1]
        let head = Array(text[..<headEnd])
        let rest = Array(text[headEnd...])
        let note: String
        if let (handle, pages) = screen.guards.pages.keep(
            rest,
            pageSize: pageSize,
            owner: ObjectIdentifier(session),
            tool: screen.tool
        ) {
            verdict.capped = (text.count, head.count, pages)
            note =
                "[muxgate: this result has \(text.count) bytes of text, over the \(cap)-byte cap of \(screen.tool); "
                + "the first \(head.count) are above. The rest is kept for this session in \(pages) "
                + "page\(pages == 1 ? "" : "s"): call \(ResultPages.toolName) with {\"handle\": \"\(handle)\", "
                + "\"page\": 1}, then page 2 and on up to \(pages), to read on. Each page continues the text "
                + "exactly where the one before stopped.]"
        } else {
            verdict.capped = (text.count, head.count, 0)
            note =
                "[muxgate: this result has \(text.count) bytes of text, over the \(cap)-byte cap of \(screen.tool); "
                + "the first \(head.count) are above. The rest is larger than muxgate's page cache "
                + "(guards.page_cache) and was not kept: ask for less (a narrower query, a filter, a range).]"
        }
        var members: [(String, JSONValue)] = []
        var content: [JSONValue] = [
            .object([("type", .string("text")), ("text", .string(String(decoding: head, as: UTF8.self)))])
        ]
        if let items = edited["content"]?.elements {
            // What is not text (images, resources) stays, after the text.
            for item in items where item["type"]?.string != "text" { content.append(.raw(item.bytes)) }
        }
        content.append(.object([("type", .string("text")), ("text", .string(note))]))
        members.append(("content", .array(content)))
        // structuredContent stays whole: the tool's outputSchema requires it (docs/guards.md).
        for member in edited.members where member.key != "content" {
            members.append((member.key, .raw(member.value.bytes)))
        }
        return .object(members)
    }

    /// `read_result_page` for `session`: a page of a result it was given cut, or a tool error.
    nonisolated func readResultPage(_ message: JSONRPCMessage, id: [UInt8], session: ClientSession) {
        let arguments = message.params?["arguments"]
        guard let handle = arguments?["handle"]?.string, let number = arguments?["page"]?.int else {
            session.sendResult(
                id: id,
                Self.pageError(
                    "\(ResultPages.toolName) needs {\"handle\": the note's handle, \"page\": a number from 1}"
                )
            )
            return
        }
        guard let page = current.guards.pages.page(handle, number, owner: ObjectIdentifier(session)) else {
            session.sendResult(
                id: id,
                Self.pageError(
                    "no page \(number) of '\(handle)' here: the handle is unknown to this session, the page is "
                        + "past the last, or the result was dropped to keep memory bounded (call the tool again)"
                )
            )
            return
        }
        let note =
            page.number < page.count
            ? "[muxgate: page \(page.number) of \(page.count) of \(page.tool)'s result; page \(page.number + 1) "
                + "continues it]"
            : "[muxgate: page \(page.number) of \(page.count), the end of \(page.tool)'s result]"
        session.sendResult(
            id: id,
            .object([
                (
                    "content",
                    .array([
                        .object([
                            ("type", .string("text")), ("text", .string(String(decoding: page.text, as: UTF8.self))),
                        ]),
                        .object([("type", .string("text")), ("text", .string(note))]),
                    ])
                )
            ])
        )
    }

    private static func pageError(_ text: String) -> JSONValue {
        .object([
            ("content", .array([.object([("type", .string("text")), ("text", .string(text))])])),
            ("isError", .bool(true)),
        ])
    }

    /// Whether `name` is muxgate's paging tool under `setup` (some tool has a cap): then it is
    /// muxgate's, whatever a child calls its own tools.
    nonisolated func isPagingTool(_ name: String, in setup: GatewaySetup) -> Bool {
        name == ResultPages.toolName && setup.config.guards.capsResults
    }

    /// A tools/list with the paging tool when some tool has a cap (a child's tool of that name is
    /// not listed: the name is muxgate's), and `maxResultSizeChars` where a cap allows more than
    /// Claude Code's default.
    nonisolated func withResultPaging(_ items: [JSONValue], in setup: GatewaySetup) -> [JSONValue] {
        guard setup.config.guards.capsResults else { return items }
        var listed: [JSONValue] = []
        for item in items {
            guard case .raw(let bytes) = item, let tool = try? JSONSlice.parse(Array(bytes)),
                let name = tool["name"]?.string, let entry = catalogue[name]
            else {
                listed.append(item)
                continue
            }
            if name == ResultPages.toolName {
                logger.warning(
                    "tool '\(name)' of server '\(entry.server)' is not listed: the name is muxgate's paging tool's"
                )
                continue
            }
            let cap = setup.guards.config.settings(server: entry.server, tool: name).maxResult?.bytes ?? 0
            guard cap > ResultPages.clientDefaultChars, tool.kind == .object else {
                listed.append(item)
                continue
            }
            var splice = JSONSplice()
            let value = Array("\(cap)".utf8)
            if let meta = tool["_meta"], meta.kind == .object {
                if meta["anthropic/maxResultSizeChars"] == nil {
                    splice.setMember("anthropic/maxResultSizeChars", to: value, in: meta)
                }
            } else if tool["_meta"] == nil {
                splice.setMember("_meta", to: Array(#"{"anthropic/maxResultSizeChars":\#(cap)}"#.utf8), in: tool)
            }
            listed.append(.raw(splice.apply(to: tool.buffer, within: tool.range)[...]))
        }
        listed.append(.raw(ResultPages.definition[...]))
        return listed
    }
}
