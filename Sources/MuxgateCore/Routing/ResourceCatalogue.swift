/// The resources and resource templates the IDE sees, and which child owns a URI.
///
/// URIs pass as the children wrote them. When two children list the same URI, the first server
/// (by name) keeps it and the other's copy is left out with a warning: muxgate never rewrites a
/// URI, because children put URIs in results and notifications that the IDE must recognise.
package struct ResourceCatalogue: Sendable {
    package struct Source: Sendable {
        package let server: String
        package let filter: ListFilterConfig
        package let resources: [JSONSlice]
        package let templates: [JSONSlice]

        package init(server: String, filter: ListFilterConfig, resources: [JSONSlice], templates: [JSONSlice]) {
            self.server = server
            self.filter = filter
            self.resources = resources
            self.templates = templates
        }
    }

    package private(set) var resources: [(server: String, uri: String, definition: JSONSlice)] = []
    package private(set) var templates: [(server: String, prefix: String, definition: JSONSlice)] = []
    private var owners: [String: String] = [:]

    package init() {}

    /// Builds the catalogue; `skipped` hears of each item left out for a defect or a duplicate URI.
    package init(sources: [Source], skipped: (String, String) -> Void = { _, _ in }) {
        for source in sources {
            for resource in source.resources {
                guard let uri = resource["uri"]?.string else {
                    skipped(source.server, "a resource without a uri: \(resource.text.prefix(120))")
                    continue
                }
                guard source.filter.admits(uri) else { continue }
                if let owner = owners[uri] {
                    skipped(source.server, "resource \(uri): already listed by server '\(owner)'")
                    continue
                }
                owners[uri] = source.server
                resources.append((source.server, uri, resource))
            }
            for template in source.templates {
                guard let pattern = template["uriTemplate"]?.string else {
                    skipped(source.server, "a resource template without a uriTemplate: \(template.text.prefix(120))")
                    continue
                }
                guard source.filter.admits(pattern) else { continue }
                let prefix = String(pattern.prefix { $0 != "{" })
                templates.append((source.server, prefix, template))
            }
        }
    }

    /// The server that owns `uri`: a listed resource, else the template with the longest literal prefix.
    package func owner(of uri: String) -> String? {
        if let owner = owners[uri] { return owner }
        return templates.filter { uri.hasPrefix($0.prefix) && !$0.prefix.isEmpty }
            .max { $0.prefix.count < $1.prefix.count }?.server
    }

    package var resourceItems: [JSONValue] { resources.map { $0.definition.value } }

    package var templateItems: [JSONValue] { templates.map { $0.definition.value } }

    /// True when the IDE would see different resources or templates.
    package func differs(from other: ResourceCatalogue, in kind: ListKind) -> Bool {
        switch kind {
        case .resources: resources.map { $0.definition.text } != other.resources.map { $0.definition.text }
        default: templates.map { $0.definition.text } != other.templates.map { $0.definition.text }
        }
    }
}
