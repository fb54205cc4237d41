package import MuxgateConfig
package import MuxgateWire

/// What a rule's check says of a call's argument: the policy's side of a rule the configuration
/// states (`PolicyRule`).
extension PolicyRule {
    /// Applies the check to the argument taken from `arguments` (the call's `arguments` object).
    ///
    /// - Parameters:
    ///   - workingDirectory: Where the child resolves a relative path (nil: not known, a remote
    ///     server); asked only by an `under` check of a relative path.
    /// - Returns: nil when the check passes, otherwise why it failed.
    package func failure(in arguments: JSONSlice?, workingDirectory: () -> String? = { nil }) -> String? {
        var value = arguments?.kind == .object ? arguments?[argument] : nil
        if value?.kind == .null { value = nil }
        guard let value else {
            if case .mustNotMatch = check { return nil }
            return "argument '\(argument)' is missing"
        }
        guard let text = value.string else {
            return "argument '\(argument)' is not a string (it is \(Self.describe(value.kind)))"
        }
        let quoted = Self.quote(text)
        // C reads up to a NUL and Python past it: two readings of one value.
        if text.utf8.contains(0) {
            return "argument '\(argument)' contains a NUL character, which programs read differently (C stops at it)"
        }
        switch check {
        case .sqlReadOnly(let rule):
            if case .refused(let why) = SQLReadOnly.checkAllLayers(text, rule: rule) {
                return "argument '\(argument)' is not a read-only SQL query: \(why)"
            }
            return nil
        case .mustMatch(let pattern):
            if pattern.matches(text) == true { return nil }
            return "argument '\(argument)' \(quoted) does not match '\(pattern)'"
        case .mustNotMatch(let pattern):
            if pattern.matches(text) == false { return nil }
            return "argument '\(argument)' \(quoted) matches '\(pattern)', which is not allowed"
        case .under(let base):
            switch PathContainment.check(
                text,
                under: base,
                workingDirectory: text.hasPrefix("/") ? nil : workingDirectory()
            )
            {
            case .inside:
                return nil
            case .outside(let canonical):
                return "argument '\(argument)' \(quoted) resolves to \(canonical), which is not under \(base)"
            case .invalid(let why):
                return "argument '\(argument)' \(quoted) is not an acceptable path: \(why)"
            }
        }
    }

    package static func quote(_ text: String) -> String {
        let limit = 80
        let shown = text.count > limit ? String(text.prefix(limit)) + "…" : text
        return "'" + shown.map { $0 == "\n" ? "\\n" : String($0) }.joined() + "'"
    }

    package static func describe(_ kind: JSONSlice.Kind) -> String {
        switch kind {
        case .object: "an object"
        case .array: "an array"
        case .number: "a number"
        case .bool: "a boolean"
        case .string: "a string"
        case .null: "null"
        }
    }
}
