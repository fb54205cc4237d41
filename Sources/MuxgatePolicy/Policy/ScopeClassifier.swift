package import MuxgateConfig
package import MuxgateWire

/// Gives every tool a scope and says where it came from.
///
/// In order: the operator's `scopes:` map; then, when the server's annotations are trusted, the
/// tool's `annotations` (`readOnlyHint: true` → read, else `destructiveHint: false` → write, else
/// destructive, the spec's default); otherwise `destructive` by default.
package enum ScopeClassifier {
    /// Classifies one child tool.
    ///
    /// - Parameters:
    ///   - childToolName: the name the child gave the tool.
    ///   - annotations: the tool's `annotations` object, if it has one.
    ///   - scopes: the operator's map for this server.
    ///   - trustAnnotations: false when the server says `trust_annotations: false`.
    package static func classify(
        childToolName: String,
        annotations: JSONSlice?,
        scopes: ScopesConfig?,
        trustAnnotations: Bool
    ) -> (scope: Scope, source: ScopeSource) {
        if let scope = scopes?.scope(for: childToolName) {
            return (scope, .operator)
        }
        guard trustAnnotations, let annotations, annotations.kind == .object else {
            return (.destructive, .default)
        }
        if annotations["readOnlyHint"]?.bool == true {
            return (.read, .annotation)
        }
        if annotations["destructiveHint"]?.bool == false {
            return (.write, .annotation)
        }
        return (.destructive, .annotation)
    }
}
