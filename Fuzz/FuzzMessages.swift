// libFuzzer target for muxgate's byte layer: the JSON validator and slices, the JSON-RPC envelope,
// the id rewrite every routed message goes through, splices, the line framer, and the SSE parser
// remote children's streams go through, and the x-mcp-header walk over a child's tool schemas.
//
// Built by `make fuzz` with `swiftc -sanitize=fuzzer,address` from these sources and MuxgateCore's
// JSON, JSONRPC and LineFramer files (no package dependencies). Every property below is checked
// with `precondition`, so a violation is a crash libFuzzer reports with the input that caused it.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    checkFraming(bytes)
    checkEventStream(bytes)
    guard let root = try? JSONSlice.parse(bytes) else { return 0 }
    checkValue(root)
    checkDuplicates(root)
    checkMessage(bytes)
    checkParamHeaders(root)
    let line = singleLine(bytes)
    precondition(!line.contains(0x0A) && !line.contains(0x0D), "singleLine left a line break")
    guard let again = try? JSONSlice.parse(line) else { preconditionFailure("singleLine broke valid JSON") }
    precondition(sameValue(again, root), "singleLine changed the value")
    return 0
}

/// Any schema: the x-mcp-header walk ends; each declaration has a path and a token, and every
/// header it makes from any arguments is an `Mcp-Param-` name with a printable ASCII value.
func checkParamHeaders(_ root: JSONSlice) {
    guard let declared = try? ParamHeaders.declarations(in: root) else { return }
    precondition(declared.allSatisfy { !$0.path.isEmpty && !$0.token.isEmpty }, "x-mcp-header: empty declaration")
    for (name, value) in ParamHeaders.headers(declared, arguments: root) {
        precondition(name.hasPrefix("Mcp-Param-"), "x-mcp-header: bad name")
        precondition(value.utf8.allSatisfy { (0x20...0x7E).contains($0) }, "x-mcp-header: unsafe value")
    }
}

/// One reading: the scan for a repeated key agrees with decoding every object's members (keys
/// compared as Swift compares strings), and names a key that really repeats.
func checkDuplicates(_ root: JSONSlice) {
    func repeats(_ value: JSONSlice) -> Bool {
        switch value.kind {
        case .object:
            let keys = value.members.map(\.key)
            return Set(keys).count != keys.count || value.members.contains { repeats($0.value) }
        case .array: return value.elements.contains(where: repeats)
        default: return false
        }
    }
    let found = root.firstDuplicateKey
    precondition((found != nil) == repeats(root), "duplicate keys: the scan disagrees with decoding")
    // The validator's own check (what an IDE's message is parsed with) agrees, and points at it.
    do {
        _ = try JSONSlice.parse(Array(root.buffer), distinctKeys: true)
        precondition(found == nil, "duplicate keys: the validator missed one")
    } catch {
        precondition(error.reason == .duplicateKey, "duplicate keys: valid JSON refused for \(error)")
        precondition(root.duplicateKey(at: error.offset) != nil, "duplicate keys: the offset names no key")
    }
}

/// The same JSON value whatever the whitespace between tokens (a slice's bytes keep it).
func sameValue(_ a: JSONSlice, _ b: JSONSlice) -> Bool {
    guard a.kind == b.kind else { return false }
    switch a.kind {
    case .object:
        let (x, y) = (a.members, b.members)
        return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && sameValue($0.value, $1.value) }
    case .array:
        let (x, y) = (a.elements, b.elements)
        return x.count == y.count && zip(x, y).allSatisfy { sameValue($0, $1) }
    default:
        return a.text == b.text
    }
}

/// However a stream is cut into chunks, the SSE parser yields the same events, each within the
/// cap, with data free of CR (lines are split on it), and ends on the same last event id.
func checkEventStream(_ bytes: [UInt8]) {
    let cap = 48
    func run(_ chunks: [ArraySlice<UInt8>]) -> ([SSEParser.Output], String?) {
        var parser = SSEParser(maximumEventBytes: cap)
        var out: [SSEParser.Output] = []
        for chunk in chunks { parser.push(chunk) { out.append($0) } }
        parser.finish()
        return (out, parser.lastEventID)
    }
    let whole = run([bytes[...]])
    let cut = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
    precondition(run([bytes[..<cut], bytes[cut...]]) == whole, "SSE: a cut changed the events")
    precondition(run(bytes.indices.map { bytes[$0...$0] }) == whole, "SSE: byte by byte changed the events")
    for output in whole.0 {
        guard case .event(let event) = output else { continue }
        precondition(!event.data.contains(0x0D) && event.data.count <= cap, "SSE: bad event data")
    }
}

/// Whatever the input, framing yields lines without `\n`, none longer than the cap, and every
/// byte is in a line, in a dropped oversized line, or a newline.
func checkFraming(_ bytes: [UInt8]) {
    let cap = 64
    var framer = LineFramer(maximumLineBytes: cap)
    var lines: [[UInt8]] = []
    var dropped = 0
    let emit: (LineFramer.Event) -> Void = { event in
        switch event {
        case .line(let line):
            precondition(!line.contains(0x0A) && line.count <= cap, "framer: bad line")
            lines.append(line)
        case .oversized(let count):
            precondition(count > cap, "framer: oversized below the cap")
            dropped += 1
        }
    }
    // Split the input into two chunks at a point the input chooses.
    let cut = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
    bytes[..<cut].withUnsafeBytes { framer.push($0, emit) }
    bytes[cut...].withUnsafeBytes { framer.push($0, emit) }
    framer.finish(emit)
    if dropped == 0 {
        let nonBlank = bytes.split(separator: 0x0A, omittingEmptySubsequences: true).map(Array.init).filter { line in
            !line.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
        }
        precondition(lines == nonBlank, "framer: lines differ from the input's non-blank lines")
    }
}

/// A valid text re-encodes to a valid text that encodes to itself, and navigating it agrees with
/// its kind.
func checkValue(_ root: JSONSlice) {
    let encoded = root.value.encoded
    guard let again = try? JSONSlice.parse(encoded) else { preconditionFailure("re-encoded JSON is invalid") }
    precondition(again.value.encoded == encoded, "encoding is not idempotent")
    checkStructure(root, depth: 0)
    switch root.kind {
    case .object:
        for member in root.members {
            precondition(root[member.key] != nil, "a member is not found by its key")
        }
    case .array:
        precondition(root.elements.count == again.elements.count, "element counts differ")
    default:
        break
    }
}

/// Every member and element found by the structural skip (which trusts validated bytes) spans
/// exactly what the validating scanner says it spans.
func checkStructure(_ slice: JSONSlice, depth: Int) {
    guard depth < 64 else { return }
    let parts: [JSONSlice]
    switch slice.kind {
    case .object: parts = slice.members.map(\.value)
    case .array: parts = slice.elements
    default: return
    }
    slice.buffer.withUnsafeBufferPointer { pointer in
        let scanner = JSONScanner(pointer)
        for part in parts {
            let end = try? scanner.skipValue(part.range.lowerBound)
            precondition(end == part.range.upperBound, "the structural skip disagrees with the validator")
        }
    }
    for part in parts { checkStructure(part, depth: depth + 1) }
}

/// A parsed message rewritten with a new id is still valid JSON-RPC, carries the new id, and is
/// byte-identical outside the id.
func checkMessage(_ bytes: [UInt8]) {
    guard let message = try? JSONRPCMessage.parse(bytes) else { return }
    let newID = Array("4242".utf8)
    let rewritten = message.rewritten(id: newID)
    guard let id = message.id else {
        precondition(rewritten == bytes, "a message without id changed")
        return
    }
    guard let parsed = try? JSONRPCMessage.parse(rewritten) else {
        preconditionFailure("a rewritten message is not valid JSON-RPC")
    }
    precondition(parsed.id?.int == 4242 && parsed.kind == message.kind, "the new id or kind is wrong")
    precondition(Array(bytes[..<id.range.lowerBound]) == Array(rewritten[..<id.range.lowerBound]), "prefix changed")
    precondition(
        Array(bytes[id.range.upperBound...]) == Array(rewritten[(id.range.lowerBound + newID.count)...]),
        "suffix changed"
    )
    // Setting a member of params (what shaping does) keeps the message valid.
    if let params = message.params, params.kind == .object {
        var splice = JSONSplice()
        splice.setMember("arguments", to: Array(#"{"k":[1.0,"\u2028"]}"#.utf8), in: params)
        let edited = message.rewritten(id: newID, splice)
        guard let edited = try? JSONRPCMessage.parse(edited) else { preconditionFailure("setMember broke the message") }
        precondition(edited.params?["arguments"]?["k"]?.elements.count == 2, "setMember lost the value")
    }
}
