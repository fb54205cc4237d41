import Testing
import Yams

@testable import MuxgateAudit
@testable import MuxgateCLI
@testable import MuxgateChildren
@testable import MuxgateCommands
@testable import MuxgateConfig
@testable import MuxgatePolicy
@testable import MuxgateRemote
@testable import MuxgateRouting
@testable import MuxgateTeam
@testable import MuxgateTelemetry
@testable import MuxgateWire

/// Decodes policy configuration from YAML text the way the tests need it.
enum PolicyYAML {
    /// Decodes `text`, rethrowing a `ConfigIssue` that Yams wrapped in a `DecodingError`.
    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        do {
            return try YAMLDecoder().decode(T.self, from: text)
        } catch DecodingError.dataCorrupted(let context) {
            if let issue = context.underlyingError as? ConfigIssue { throw issue }
            throw DecodingError.dataCorrupted(context)
        }
    }

    /// The `ConfigIssue` decoding `text` raises; records a test issue when it raises none or another error.
    static func issue<T: Decodable>(
        _ type: T.Type,
        _ text: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> ConfigIssue? {
        do {
            _ = try decode(T.self, text)
            Issue.record("expected a configuration error", sourceLocation: sourceLocation)
        } catch let issue as ConfigIssue {
            return issue
        } catch {
            Issue.record("expected a ConfigIssue, got \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }
}
