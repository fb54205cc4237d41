import MuxgateConfig
package import MuxgateWire

extension ToolShaper {
    /// The `arguments` object to send to the child for a call, or nil to forward the call's bytes untouched.
    ///
    /// The model's arguments are kept verbatim (each value embedded raw, in order); hidden
    /// arguments are added with the operator's value and defaults are added when absent. Nil when
    /// the tool has no argument rules or nothing needs adding.
    ///
    /// - Parameters:
    ///   - childName: the child's name of the tool called.
    ///   - arguments: the call's `arguments`, nil when absent (`null` counts as absent).
    /// - Throws: `ShapingError` when `arguments` is not an object, or when it supplies an argument
    ///   the operator pins.
    ///   - calledAs: the name the IDE called it by, which the errors name (default: the child's).
    package func prepareArguments(
        tool childName: String,
        calledAs exposedName: String? = nil,
        arguments: JSONSlice?
    ) throws(ShapingError) -> JSONValue? {
        let shown = exposedName ?? childName
        let arguments = arguments?.kind == .null ? nil : arguments
        if let arguments, arguments.kind != .object {
            throw ShapingError(
                .argumentsNotObject,
                server: server,
                tool: childName,
                message: "the arguments of tool '\(shown)' must be an object, not \(arguments.kind)"
            )
        }
        let rules = config.argumentRules(for: childName)
        guard !rules.isEmpty else { return nil }
        let members = arguments?.members ?? []
        let supplied = Set(members.map(\.key))
        for member in members {
            guard case .hidden = rules[member.key] else { continue }
            throw ShapingError(
                .operatorArgument,
                server: server,
                tool: childName,
                message:
                    "argument '\(member.key)' of tool '\(shown)' is set by the operator and may not be supplied; "
                    + "call the tool without it"
            )
        }
        var added: [(String, JSONValue)] = []
        for (name, rule) in rules.sorted(by: { $0.key < $1.key }) where !supplied.contains(name) {
            switch rule {
            case .hidden(let value), .defaulted(let value): added.append((name, value))
            }
        }
        guard !added.isEmpty else { return nil }
        return .object(members.map { ($0.key, $0.value.value) } + added)
    }
}
