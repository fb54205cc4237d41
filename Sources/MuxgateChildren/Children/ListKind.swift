import MuxgateAudit
import MuxgateConfig
import MuxgatePolicy
import MuxgateWire

/// The paginated lists an MCP server offers, and how each is fetched and announced.
package enum ListKind: String, Sendable, CaseIterable {
    case tools, prompts, resources, resourceTemplates

    /// The request that reads the list.
    package var method: String {
        switch self {
        case .tools: "tools/list"
        case .prompts: "prompts/list"
        case .resources: "resources/list"
        case .resourceTemplates: "resources/templates/list"
        }
    }

    /// The member of the result that holds the items.
    package var key: String { rawValue }

    /// The server capability that says the list exists.
    package var capability: String {
        switch self {
        case .tools: "tools"
        case .prompts: "prompts"
        case .resources, .resourceTemplates: "resources"
        }
    }

    /// The notification that says the list changed.
    package var changedNotification: String {
        "notifications/\(capability)/list_changed"
    }

    /// The 2026-07-28 `subscriptions/listen` filter key for this list's changes (`toolsListChanged`).
    package var subscriptionKey: String {
        "\(capability)ListChanged"
    }

    /// The lists a `…/list_changed` notification invalidates.
    package static func changed(by method: String) -> [ListKind] {
        allCases.filter { $0.changedNotification == method }
    }
}
