import Foundation
import MuxgateAudit
import MuxgateChildren
package import MuxgateConfig
import MuxgatePolicy
package import MuxgateWire

/// A command tool as the model sees it (its MCP definition) and as muxgate checks a call to it:
/// the arguments against their schema, then the argv the template makes of them.
package struct CommandTool: Sendable {
    package let config: CommandToolConfig

    package var name: String { config.name }

    /// The MCP tool definition: `inputSchema` from `args`, an `outputSchema` for what a run
    /// reports, annotations from the scope, and the run template in `_meta` (so a changed
    /// template is a changed definition for pinning).
    package var definition: JSONValue {
        var properties: [(String, JSONValue)] = []
        for (name, argument) in config.args.sorted(by: { $0.key < $1.key }) {
            properties.append((name, Self.schema(argument)))
        }
        let required = config.args.filter(\.value.required).keys.sorted().map(JSONValue.string)
        var input: [(String, JSONValue)] = [("type", .string("object")), ("properties", .object(properties))]
        if !required.isEmpty { input.append(("required", .array(required))) }
        input.append(("additionalProperties", .bool(false)))
        let description = config.description ?? "Runs: \(config.run.joined(separator: " "))"
        return .object([
            ("name", .string(name)),
            ("description", .string(description)),
            ("inputSchema", .object(input)),
            ("outputSchema", Self.outputSchema),
            (
                "annotations",
                .object([
                    ("readOnlyHint", .bool(config.scope == .read)),
                    ("destructiveHint", .bool(config.scope == .destructive)),
                    ("idempotentHint", .bool(config.scope == .read)), ("openWorldHint", .bool(true)),
                ])
            ),
            (
                "_meta",
                .object([
                    (
                        "muxgate/command",
                        .object([
                            ("run", .array(config.run.map(JSONValue.string))), ("shell", .bool(config.shell)),
                        ])
                    )
                ])
            ),
        ])
    }

    package static func schema(_ argument: CommandArgument) -> JSONValue {
        var schema: [(String, JSONValue)] = [("type", .string(argument.type.rawValue))]
        if let description = argument.description { schema.append(("description", .string(description))) }
        if let values = argument.enumeration { schema.append(("enum", .array(values.map(JSONValue.string)))) }
        if let pattern = argument.pattern { schema.append(("pattern", .string(pattern))) }
        if let minimum = argument.minimum { schema.append(("minimum", .number(Self.number(minimum)))) }
        if let maximum = argument.maximum { schema.append(("maximum", .number(Self.number(maximum)))) }
        if let value = argument.defaultValue { schema.append(("default", value)) }
        if argument.type == .array {
            var items: [(String, JSONValue)] = [("type", .string("string"))]
            if let values = argument.items?.enumeration { items.append(("enum", .array(values.map(JSONValue.string)))) }
            if let pattern = argument.items?.pattern { items.append(("pattern", .string(pattern))) }
            schema.append(("items", .object(items)))
        }
        return .object(schema)
    }

    package static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    package static let outputSchema = JSONValue.object([
        ("type", .string("object")),
        (
            "properties",
            .object([
                ("exit_status", .object([("type", .array([.string("integer"), .string("null")]))])),
                ("signal", .object([("type", .array([.string("integer"), .string("null")]))])),
                ("timed_out", .object([("type", .string("boolean"))])),
                ("stderr", .object([("type", .string("string"))])),
                ("stdout_dropped_bytes", .object([("type", .string("integer"))])),
                ("stderr_dropped_bytes", .object([("type", .string("integer"))])),
                ("duration_ms", .object([("type", .string("integer"))])),
                ("argv", .object([("type", .string("array")), ("items", .object([("type", .string("string"))]))])),
            ])
        ),
        ("required", .array(["exit_status", "timed_out", "stderr", "argv"].map(JSONValue.string))),
    ])

    // MARK: - A call

    /// Why a call's arguments cannot run, one sentence per problem, naming the argument and the rule.
    package struct Refusal: Error {
        package let problems: [String]
    }

    /// The argv a call runs, after every check; nothing has run when this throws.
    package func argv(for arguments: JSONSlice?) throws(Refusal) -> [String] {
        var problems: [String] = []
        var values: [String: [String]] = [:]
        let given = arguments?.kind == .object ? arguments!.members : []
        if let arguments, arguments.kind != .object {
            throw Refusal(problems: ["the arguments must be an object, not \(arguments.text.prefix(80))"])
        }
        for member in given where config.args[member.key] == nil {
            let known = config.args.keys.sorted().joined(separator: ", ")
            problems.append(
                "argument '\(member.key)' is not one this tool takes (it takes: \(known.isEmpty ? "none" : known))"
            )
        }
        for (name, argument) in config.args.sorted(by: { $0.key < $1.key }) {
            let slice = given.first { $0.key == name }?.value
            let value: JSONValue?
            if let slice, slice.kind != .null {
                value = slice.value
            } else if let fallback = argument.defaultValue {
                value = fallback
            } else {
                value = nil
            }
            guard let value, let parsed = try? JSONSlice.parse(value.encoded) else {
                if argument.required { problems.append("argument '\(name)' is required") }
                continue
            }
            do throws(Refusal) {
                values[name] = try Self.check(parsed, name: name, argument)
            } catch {
                problems += error.problems
            }
        }
        guard problems.isEmpty else { throw Refusal(problems: problems) }
        return try expand(values)
    }

    /// One argument's value as argv text, checked against its schema.
    package static func check(_ value: JSONSlice, name: String, _ argument: CommandArgument) throws(Refusal) -> [String]
    {
        func refuse(_ rule: String) -> Refusal {
            Refusal(problems: ["argument '\(name)' \(rule), got \(value.text.prefix(80))"])
        }
        let texts: [String]
        switch argument.type {
        case .string:
            guard let text = value.string else { throw refuse("must be a string") }
            texts = [text]
        case .integer:
            guard value.kind == .number, let number = Double(value.text), number == number.rounded(),
                !value.text.contains(".") && !value.text.lowercased().contains("e")
            else { throw refuse("must be an integer") }
            try bounds(number, argument, refuse)
            texts = [value.text]
        case .number:
            guard value.kind == .number, let number = Double(value.text) else { throw refuse("must be a number") }
            try bounds(number, argument, refuse)
            texts = [value.text]
        case .boolean:
            guard let flag = value.bool else { throw refuse("must be true or false") }
            texts = [flag ? "true" : "false"]
        case .array:
            guard value.kind == .array else { throw refuse("must be an array of strings") }
            var elements: [String] = []
            for element in value.elements {
                guard let text = element.string else { throw refuse("must be an array of strings") }
                if let allowed = argument.items?.enumeration, !allowed.contains(text) {
                    throw refuse("has an element that is not one of \(allowed.joined(separator: ", "))")
                }
                if let pattern = argument.items?.pattern, !matches(text, pattern) {
                    throw refuse("has an element that does not match \(pattern)")
                }
                elements.append(text)
            }
            texts = elements
        }
        if argument.type != .array {
            if let allowed = argument.enumeration, !allowed.contains(texts[0]) {
                throw refuse("must be one of \(allowed.joined(separator: ", "))")
            }
            if let pattern = argument.pattern, !matches(texts[0], pattern) {
                throw refuse("must match \(pattern)")
            }
        }
        for text in texts where text.utf8.contains(0) {
            throw refuse("contains a NUL byte, which no argument can carry")
        }
        return texts
    }

    private static func bounds(_ number: Double, _ argument: CommandArgument, _ refuse: (String) -> Refusal)
        throws(Refusal)
    {
        if let minimum = argument.minimum, number < minimum {
            throw refuse("must be at least \(CommandTool.number(minimum))")
        }
        if let maximum = argument.maximum, number > maximum {
            throw refuse("must be at most \(CommandTool.number(maximum))")
        }
    }

    /// Whether the whole of `text` matches `pattern`.
    package static func matches(_ text: String, _ pattern: String) -> Bool {
        guard let expression = try? NSRegularExpression(pattern: pattern) else { return false }
        let range = NSRange(text.startIndex..., in: text)
        guard let match = expression.firstMatch(in: text, options: [.anchored], range: range) else { return false }
        return match.range == range
    }

    /// The template with the values in: a whole-element placeholder becomes its values (an array
    /// several elements), others are replaced inside their element. `shell: true`: the script, then
    /// the values as positional parameters (`"$1"`…).
    ///
    /// No value may put a `-` at the start of an argv element, wherever its placeholder sits
    /// (`{since}..HEAD` with `--output=x` would be an option, and so would `{a}-x` with `a` empty),
    /// unless its argument says `allow_dash: true`. A literal `--` in `run` does not allow it: not
    /// every program ends its options there, and some hand what follows to another that reads its
    /// own. A script's parameters are checked the same way, since the script passes them on.
    package func expand(_ values: [String: [String]]) throws(Refusal) -> [String] {
        if config.shell {
            var positions: [String] = []
            var script = config.run[0]
            for name in CommandToolConfig.placeholders(in: script) where !positions.contains(name) {
                positions.append(name)
            }
            var parameters: [String] = []
            for (index, name) in positions.enumerated() {
                let value = (values[name] ?? []).joined(separator: " ")
                try refuseDash(at: value, from: [name])
                script = script.replacingOccurrences(of: "{\(name)}", with: "\"$\(index + 1)\"")
                parameters.append(value)
            }
            return ["/bin/sh", "-c", script, "muxgate-command"] + parameters
        }
        var argv: [String] = []
        for element in config.run {
            let names = CommandToolConfig.placeholders(in: element)
            if names.count == 1, element == "{\(names[0])}" {
                for value in values[names[0]] ?? [] {
                    try refuseDash(at: value, from: names)
                    argv.append(value)
                }
                continue
            }
            var text = element
            for name in names {
                text = text.replacingOccurrences(of: "{\(name)}", with: (values[name] ?? []).joined(separator: ","))
            }
            // The operator's own option (`--repo={repo}`) starts with '-' in the template.
            if !element.hasPrefix("-"), text.hasPrefix("-") {
                let (names, byValue) = leadingPlaceholders(of: element, values)
                // A value's own '-' is its argument's to allow; a literal one that empty values
                // moved to the start, every one of theirs.
                try refuseDash(at: text, from: byValue ? Array(names.suffix(1)) : names)
            }
            argv.append(text)
        }
        return argv
    }

    /// The placeholders whose values come first in an element once expanded: those at its start,
    /// and after them the next ones while each before expands to nothing.
    ///
    /// - Returns: Those names, and whether the last one's value is what comes first (else a literal
    ///   that follows them does).
    private func leadingPlaceholders(of element: String, _ values: [String: [String]]) -> ([String], Bool) {
        var names: [String] = []
        var rest = element[...]
        while rest.hasPrefix("{"), let close = rest.firstIndex(of: "}") {
            let name = String(rest[rest.index(after: rest.startIndex)..<close])
            guard config.args[name] != nil else { break }
            names.append(name)
            guard (values[name] ?? []).joined().isEmpty else { return (names, true) }
            rest = rest[rest.index(after: close)...]
        }
        return (names, false)
    }

    /// Refuses `text`, an argv element or parameter that values of `names` start, when it begins
    /// with '-' and one of them does not allow that.
    private func refuseDash(at text: String, from names: [String]) throws(Refusal) {
        guard text.hasPrefix("-"), let name = names.first(where: { config.args[$0]?.allowDash != true }) else { return }
        let which = "argument '\(name)'"
        throw Refusal(problems: [
            "\(which) puts '-' at the start of an argument of the command (\(text.prefix(40))), which it could take "
                + "for an option; it may not (allow_dash: true on the argument allows it)"
        ])
    }
}
