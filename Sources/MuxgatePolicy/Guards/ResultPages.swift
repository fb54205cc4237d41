package import MuxgateWire
import Synchronization

/// What a capped result left over, kept per session for `read_result_page`, bounded in memory:
/// when the total passes `capacity`, the least recently used results go first.
///
/// A result's text is cut into pages on UTF-8 boundaries, so the head and every page, joined in
/// order, are the result's text byte for byte.
package final class ResultPages: Sendable {
    /// The meta-tool's name.
    package static let toolName = "read_result_page"
    /// Claude Code's own default cap (25,000 tokens, about 4 characters each).
    package static let clientDefaultChars = 100_000

    struct Stored {
        let owner: ObjectIdentifier
        let text: [UInt8]
        /// The start of each page, then the end.
        let bounds: [Int]
        let tool: String
    }

    struct State {
        var stored: [String: Stored] = [:]
        /// Least recently used first.
        var order: [String] = []
        var total = 0
        var counter = 0
    }

    /// One page: its bytes, its number (from 1) and how many there are.
    package struct Page: Sendable {
        package let text: [UInt8]
        package let number: Int
        package let count: Int
        package let tool: String
    }

    package let capacity: Int
    private let state = Mutex(State())

    package init(capacity: Int) { self.capacity = capacity }

    /// The ends of `text`'s pieces of at most `size` bytes, each cut back to a UTF-8 boundary.
    package static func bounds(_ text: [UInt8], size: Int) -> [Int] {
        var bounds = [0]
        var start = 0
        while start < text.count {
            var end = min(text.count, start + size)
            while end < text.count, end > start, text[end] & 0xC0 == 0x80 { end -= 1 }
            if end == start {
                // A page smaller than one character: take the character whole.
                end = start + 1
                while end < text.count, text[end] & 0xC0 == 0x80 { end += 1 }
            }
            bounds.append(end)
            start = end
        }
        return bounds
    }

    /// Keeps `text` for `owner`; the handle and the number of pages, or nil when it alone is over
    /// the capacity.
    package func keep(_ text: [UInt8], pageSize: Int, owner: ObjectIdentifier, tool: String) -> (String, Int)? {
        guard text.count <= capacity else { return nil }
        let bounds = Self.bounds(text, size: pageSize)
        var random = SystemRandomNumberGenerator()
        let suffix = String(random.next() & 0xFFFF_FFFF, radix: 16)
        return state.withLock { state in
            state.counter += 1
            let handle = "r\(state.counter)-\(suffix)"
            state.stored[handle] = Stored(owner: owner, text: text, bounds: bounds, tool: tool)
            state.order.append(handle)
            state.total += text.count
            while state.total > capacity, let oldest = state.order.first {
                state.order.removeFirst()
                state.total -= state.stored.removeValue(forKey: oldest)?.text.count ?? 0
            }
            return (handle, bounds.count - 1)
        }
    }

    /// Page `number` (from 1) of `handle`, if `owner` kept it and it is still there.
    package func page(_ handle: String, _ number: Int, owner: ObjectIdentifier) -> Page? {
        state.withLock { state in
            guard let stored = state.stored[handle], stored.owner == owner, number >= 1,
                number < stored.bounds.count
            else { return nil }
            if let index = state.order.firstIndex(of: handle) {
                state.order.remove(at: index)
                state.order.append(handle)
            }
            let text = Array(stored.text[stored.bounds[number - 1]..<stored.bounds[number]])
            return Page(text: text, number: number, count: stored.bounds.count - 1, tool: stored.tool)
        }
    }

    /// Forgets what `owner` kept (its session ended).
    package func forget(owner: ObjectIdentifier) {
        state.withLock { state in
            for (handle, stored) in state.stored where stored.owner == owner {
                state.stored[handle] = nil
                state.total -= stored.text.count
            }
            state.order.removeAll { state.stored[$0] == nil }
        }
    }

    /// The text a result's `content` holds (its text items joined), if over `limit` bytes.
    package static func oversizedText(_ result: JSONSlice, limit: Int) -> [UInt8]? {
        guard result.range.count > limit, let content = result["content"], content.kind == .array else { return nil }
        var text: [UInt8] = []
        for item in content.elements where item["type"]?.string == "text" {
            if let value = item["text"]?.string { text += Array(value.utf8) }
        }
        return text.count > limit ? text : nil
    }

    /// The definition of `read_result_page`.
    package static let definition: [UInt8] = Array(
        """
        {"name":"\(toolName)","title":"Read the rest of a long result",\
        "description":"Read the next page of a tool result that muxgate cut because it was too long. \
        The cut result ends with a note giving the handle and the number of pages.",\
        "inputSchema":{"type":"object","properties":{\
        "handle":{"type":"string","description":"The handle the cut result's note gave"},\
        "page":{"type":"integer","minimum":1,"description":"The page to read, from 1"}},\
        "required":["handle","page"]},\
        "annotations":{"readOnlyHint":true,"openWorldHint":false}}
        """.utf8
    )
}
