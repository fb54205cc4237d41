/// One event of a `text/event-stream` (the WHATWG HTML "server-sent events" format).
package struct SSEEvent: Sendable, Equatable {
    /// The `id` field, if the event had one.
    package var id: String?
    /// The `event` field; "message" when absent.
    package var type: String
    /// The `data` lines joined with `\n`, as bytes (an MCP message's JSON).
    package var data: [UInt8]

    package init(id: String? = nil, type: String = "message", data: [UInt8]) {
        self.id = id
        self.type = type
        self.data = data
    }
}

/// Splits a `text/event-stream` into events, fed chunk by chunk as the bytes arrive.
///
/// Lines end in CR LF, LF or CR (a CR LF split across two chunks is one ending); a leading BOM is
/// skipped; `:` lines are comments (keep-alives); a line without `:` is a field with an empty
/// value; one space after the colon is dropped. An empty line dispatches the event gathered so
/// far — if it has data: an event without data only moves the last event id (a priming event).
/// `retry` with digits only sets the reconnection delay. An event past `maximumEventBytes` is
/// dropped whole and reported; the stream goes on.
package struct SSEParser {
    package enum Output: Equatable {
        case event(SSEEvent)
        /// The server's `retry:` in milliseconds.
        case retry(Int)
        /// An event of this many bytes (so far) was dropped: over the cap.
        case oversized(Int)
    }

    private let maximumEventBytes: Int
    private var line: [UInt8] = []
    private var afterCR = false
    /// How many bytes of a leading BOM were seen (3: past the start of the stream).
    private var bomBytes = 0
    private var data: [UInt8] = []
    private var hasData = false
    private var type: String?
    private var eventID: String?
    /// Bytes of the event gathered so far; past the cap the event is skipped to its end.
    private var eventBytes = 0
    private var skipping = false
    /// The id of the last event that had one (`Last-Event-ID` when reconnecting).
    package private(set) var lastEventID: String?

    package init(maximumEventBytes: Int) {
        self.maximumEventBytes = maximumEventBytes
    }

    /// Feeds the next bytes of the stream; complete events go to `handle`.
    package mutating func push<Bytes: Sequence<UInt8>>(_ bytes: Bytes, _ handle: (Output) -> Void) {
        for byte in bytes {
            // A UTF-8 BOM may open the stream, once: held back until it is known to be one.
            if bomBytes < 3 {
                if byte == Self.bom[bomBytes] {
                    bomBytes += 1
                    continue
                }
                let held = Self.bom[..<bomBytes]
                bomBytes = 3
                for earlier in held { consume(earlier, handle) }
            }
            consume(byte, handle)
        }
    }

    private static let bom: [UInt8] = [0xEF, 0xBB, 0xBF]

    private mutating func consume(_ byte: UInt8, _ handle: (Output) -> Void) {
        switch byte {
        case 0x0A where afterCR:
            afterCR = false  // the LF of a CR LF
        case 0x0A, 0x0D:
            afterCR = byte == 0x0D
            endLine(handle)
        default:
            afterCR = false
            if skipping { return }
            line.append(byte)
            if eventBytes + line.count > maximumEventBytes { startSkipping(handle) }
        }
    }

    /// The stream ended: an event not ended by an empty line is dropped, as the format says.
    package mutating func finish() {
        line = []
        resetEvent()
    }

    private mutating func startSkipping(_ handle: (Output) -> Void) {
        handle(.oversized(eventBytes + line.count))
        skipping = true
        line = []
        data = []
        hasData = false
    }

    private mutating func endLine(_ handle: (Output) -> Void) {
        defer { line = [] }
        if line.isEmpty {
            dispatch(handle)
            return
        }
        if skipping { return }
        eventBytes += line.count + 1
        if line.first == UInt8(ascii: ":") { return }
        let colon = line.firstIndex(of: UInt8(ascii: ":"))
        let name = colon.map { line[..<$0] } ?? line[...]
        var value = colon.map { line[($0 + 1)...] } ?? []
        if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
        switch String(decoding: name, as: UTF8.self) {
        case "data":
            if hasData { data.append(0x0A) }
            data.append(contentsOf: value)
            hasData = true
        case "event":
            type = String(decoding: value, as: UTF8.self)
        case "id":
            if !value.contains(0) { eventID = String(decoding: value, as: UTF8.self) }
        case "retry":
            if !value.isEmpty, value.allSatisfy({ (0x30...0x39).contains($0) }),
                let milliseconds = Int(String(decoding: value, as: UTF8.self))
            {
                handle(.retry(milliseconds))
            }
        default:
            break  // unknown fields are ignored
        }
    }

    private mutating func dispatch(_ handle: (Output) -> Void) {
        if let eventID, !skipping { lastEventID = eventID }
        if hasData && !skipping {
            handle(.event(SSEEvent(id: eventID, type: type ?? "message", data: data)))
        }
        resetEvent()
    }

    private mutating func resetEvent() {
        data = []
        hasData = false
        type = nil
        eventID = nil
        eventBytes = 0
        skipping = false
    }
}
