import Foundation
package import MuxgateWire

/// One command tool (`commands.NAME`): a program run with arguments from the call, never through a
/// shell unless `shell: true` says so.
package struct CommandToolConfig: Sendable, Equatable, Decodable {
    package var name = ""
    package var description: String?
    /// The argv template: `{arg}` as a whole element is replaced by the argument (an array of
    /// strings by several elements); inside an element (`--repo={repo}`) by its text.
    package var run: [String]
    package var args: [String: CommandArgument]
    package var scope: Scope
    package var timeout: ConfigDuration?
    package var cwd: String?
    /// The only environment the command gets, with `PATH` and `HOME` (from muxgate's).
    package var env: [String: String]
    /// `run` is one string for `/bin/sh -c`; arguments reach it as `"$1"`, `"$2"`… (quoted
    /// positional parameters, never spliced into the script).
    package var shell: Bool
    /// Runs at once; more wait (default 1 for write and destructive commands, 4 for read).
    package var maxParallel: Int
    /// Output kept (stdout and stderr each); the rest is dropped with a note saying how much.
    package var maxOutputBytes: Int

    /// 25,000 tokens' worth, at about four bytes a token: Claude Code's default cap on a result.
    package static let defaultMaxOutputBytes = 100_000

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case description, run, args, scope, timeout, cwd, env, shell
        case maxParallel = "max_parallel"
        case maxOutput = "max_output"
    }

    package init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        description = try container.decodeIfPresent(String.self, forKey: .description)
        shell = try container.decodeIfPresent(Bool.self, forKey: .shell) ?? false
        if shell, let script = try? container.decode(String.self, forKey: .run) {
            run = [script]
        } else {
            run = try container.decode([String].self, forKey: .run)
        }
        args = try container.decodeIfPresent([String: CommandArgument].self, forKey: .args) ?? [:]
        let scopeName = try container.decodeIfPresent(String.self, forKey: .scope) ?? "destructive"
        guard let parsed = Scope(rawValue: scopeName) else {
            throw ConfigIssue(
                .invalidValue,
                at: decoder.codingPath,
                key: "scope",
                message: "'\(scopeName)' is not a scope (read, write or destructive)"
            )
        }
        scope = parsed
        timeout = try container.decodeIfPresent(ConfigDuration.self, forKey: .timeout)
        cwd = try container.decodeIfPresent(String.self, forKey: .cwd)
        env = try container.decodeIfPresent([String: String].self, forKey: .env) ?? [:]
        maxParallel = try container.decodeIfPresent(Int.self, forKey: .maxParallel) ?? (scope == .read ? 4 : 1)
        maxOutputBytes =
            try container.decodeIfPresent(ConfigByteSize.self, forKey: .maxOutput)?.bytes
            ?? Self.defaultMaxOutputBytes
        guard !run.isEmpty, !run[0].isEmpty else {
            throw ConfigIssue(.invalidValue, at: decoder.codingPath, key: "run", message: "run needs a program")
        }
        guard maxParallel >= 1 else {
            throw ConfigIssue(.invalidValue, at: decoder.codingPath, key: "max_parallel", message: "must be at least 1")
        }
        let placeholders = Set(run.flatMap(Self.placeholders))
        for name in placeholders where args[name] == nil {
            throw ConfigIssue(
                .invalidValue,
                at: decoder.codingPath,
                key: "run",
                message: "{\(name)} names no argument (args: \(args.keys.sorted().joined(separator: ", ")))"
            )
        }
        if !shell, Self.placeholders(in: run[0]).count > 0 {
            throw ConfigIssue(
                .invalidValue,
                at: decoder.codingPath,
                key: "run",
                message: "the program itself may not come from an argument (\(run[0]))"
            )
        }
    }

    /// The `{name}` placeholders of one template element, in order (`${VAR}` is the
    /// configuration's own expansion, not a placeholder).
    package static func placeholders(in element: String) -> [String] {
        var names: [String] = []
        var rest = element[...]
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            let name = rest[rest.index(after: open)..<close]
            let dollar = open > rest.startIndex && rest[rest.index(before: open)] == "$"
            if !dollar, !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) {
                names.append(String(name))
            }
            rest = rest[rest.index(after: close)...]
        }
        return names
    }
}

/// One argument of a command tool, as JSON Schema describes it to the model and as muxgate
/// checks it before anything runs.
package struct CommandArgument: Sendable, Equatable, Decodable {
    package static func == (lhs: CommandArgument, rhs: CommandArgument) -> Bool {
        lhs.type == rhs.type && lhs.description == rhs.description && lhs.enumeration == rhs.enumeration
            && lhs.pattern == rhs.pattern && lhs.minimum == rhs.minimum && lhs.maximum == rhs.maximum
            && lhs.defaultValue?.encoded == rhs.defaultValue?.encoded && lhs.required == rhs.required
            && lhs.allowDash == rhs.allowDash && lhs.items == rhs.items
    }

    package enum Kind: String, Sendable, Equatable, Decodable {
        case string, integer, number, boolean, array
    }

    package var type: Kind
    package var description: String?
    package var enumeration: [String]?
    /// A regular expression the whole value must match (anchored by muxgate).
    package var pattern: String?
    package var minimum: Double?
    package var maximum: Double?
    /// Given when the call leaves the argument out (the argument is then optional).
    package var defaultValue: JSONValue?
    package var required: Bool
    /// A value may start with `-` (it could otherwise be taken for an option).
    package var allowDash: Bool
    /// For `type: array`: each element is a string with these checks.
    package var items: CommandArgumentItems?

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case type, description, pattern, minimum, maximum, required, items
        case enumeration = "enum"
        case defaultValue = "default"
        case allowDash = "allow_dash"
    }

    package init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decodeIfPresent(Kind.self, forKey: .type) ?? .string
        description = try container.decodeIfPresent(String.self, forKey: .description)
        enumeration = try container.decodeIfPresent([String].self, forKey: .enumeration)
        pattern = try container.decodeIfPresent(String.self, forKey: .pattern)
        minimum = try container.decodeIfPresent(Double.self, forKey: .minimum)
        maximum = try container.decodeIfPresent(Double.self, forKey: .maximum)
        defaultValue = try container.decodeIfPresent(ConfigJSONValue.self, forKey: .defaultValue)?.value
        required = try container.decodeIfPresent(Bool.self, forKey: .required) ?? (defaultValue == nil)
        allowDash = try container.decodeIfPresent(Bool.self, forKey: .allowDash) ?? false
        items = try container.decodeIfPresent(CommandArgumentItems.self, forKey: .items)
        if let pattern, (try? NSRegularExpression(pattern: pattern)) == nil {
            throw ConfigIssue(
                .invalidValue,
                at: decoder.codingPath,
                key: "pattern",
                message: "'\(pattern)' is not a regular expression"
            )
        }
        if type == .array, items?.pattern.flatMap({ try? NSRegularExpression(pattern: $0) }) == nil,
            items?.pattern != nil
        {
            throw ConfigIssue(
                .invalidValue,
                at: decoder.codingPath,
                key: "items",
                message: "items.pattern is not a regular expression"
            )
        }
    }
}

/// The checks on each element of an array argument (strings).
package struct CommandArgumentItems: Sendable, Equatable, Decodable {
    package var enumeration: [String]?
    package var pattern: String?

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case type, pattern
        case enumeration = "enum"
    }

    package init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let type = try container.decodeIfPresent(String.self, forKey: .type), type != "string" {
            throw ConfigIssue(.invalidValue, at: decoder.codingPath, key: "type", message: "array elements are strings")
        }
        enumeration = try container.decodeIfPresent([String].self, forKey: .enumeration)
        pattern = try container.decodeIfPresent(String.self, forKey: .pattern)
    }
}
