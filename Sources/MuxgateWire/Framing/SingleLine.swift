/// A JSON text as one stdio line: its raw line breaks become spaces.
///
/// Over HTTP a message may be pretty-printed, or split across SSE `data:` lines (joined with
/// `\n`); on stdio a message is one line. In valid JSON a raw CR or LF can only be whitespace
/// between tokens (inside a string it must be escaped), so a space in its place keeps the text
/// valid and its value the same.
package func singleLine(_ bytes: [UInt8]) -> [UInt8] {
    guard bytes.contains(where: { $0 == 0x0A || $0 == 0x0D }) else { return bytes }
    return bytes.map { $0 == 0x0A || $0 == 0x0D ? 0x20 : $0 }
}
