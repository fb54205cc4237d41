import MuxgateAudit
package import MuxgateChildren
package import MuxgateConfig
import MuxgatePolicy
import MuxgateTelemetry
package import MuxgateWire

/// The resources and resource templates the IDE sees, and which child owns a URI.
///
/// A URI (or URI template) that only one child lists passes exactly as the child wrote it. When
/// two or more children list the same one, every copy is made distinct and reversible:
/// `muxgate://SERVER/` followed by the child's URI verbatim (`muxgate://git/file:///repo/README`).
/// muxgate strips the prefix from `resources/read`, `subscribe`, `unsubscribe` and completion
/// references before they reach the child, and adds it back to the URIs of that resource in
/// `resources/read` results and `notifications/resources/updated`.
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

    /// The prefix that makes a URI several children claim distinct.
    package static let scheme = "muxgate://"

    /// `muxgate://SERVER/URI`.
    package static func namespaced(_ uri: String, server: String) -> String { "\(scheme)\(server)/\(uri)" }

    package private(set) var resources: [(server: String, uri: String, definition: JSONValue)] = []
    /// Each template: its server, the literal prefix of the exposed pattern, the child's pattern.
    package private(set) var templates: [(server: String, prefix: String, pattern: String, definition: JSONValue)] =
        []
    /// Exposed URI → owning server and the child's own URI.
    private var owners: [String: (server: String, uri: String)] = [:]
    /// Per server, the child URIs (and templates) that are namespaced because another child claims them too.
    package private(set) var namespacedURIs: [String: Set<String>] = [:]
    private var servers: Set<String> = []
    /// Each server's `resources:` filter, which every route applies to the URI it sends.
    private var filters: [String: ListFilterConfig] = [:]

    package init() {}

    /// Builds the catalogue; `skipped` hears of each item left out for a defect.
    package init(sources: [Source], skipped: (String, String) -> Void = { _, _ in }) {
        servers = Set(sources.map(\.server))
        filters = Dictionary(sources.map { ($0.server, $0.filter) }) { first, _ in first }
        var claims: [String: Int] = [:]
        var templateClaims: [String: Int] = [:]
        var admitted: [(server: String, uri: String, definition: JSONSlice)] = []
        var admittedTemplates: [(server: String, pattern: String, definition: JSONSlice)] = []
        for source in sources {
            var seen: Set<String> = []
            for resource in source.resources {
                guard let uri = resource["uri"]?.string else {
                    skipped(source.server, "a resource without a uri: \(resource.text.prefix(120))")
                    continue
                }
                guard Self.admits(uri, source.filter), seen.insert(uri).inserted else { continue }
                claims[uri, default: 0] += 1
                admitted.append((source.server, uri, resource))
            }
            var seenTemplates: Set<String> = []
            for template in source.templates {
                guard let pattern = template["uriTemplate"]?.string else {
                    skipped(source.server, "a resource template without a uriTemplate: \(template.text.prefix(120))")
                    continue
                }
                guard source.filter.admits(pattern), seenTemplates.insert(pattern).inserted else { continue }
                templateClaims[pattern, default: 0] += 1
                admittedTemplates.append((source.server, pattern, template))
            }
        }
        for (server, uri, definition) in admitted {
            let (exposed, value) = expose(uri, key: "uri", of: server, shared: claims[uri]! > 1, in: definition)
            owners[exposed] = (server, uri)
            resources.append((server, exposed, value))
        }
        for (server, pattern, definition) in admittedTemplates {
            let (exposed, value) = expose(
                pattern,
                key: "uriTemplate",
                of: server,
                shared: templateClaims[pattern]! > 1,
                in: definition
            )
            templates.append((server, String(exposed.prefix { $0 != "{" }), pattern, value))
        }
    }

    /// The URI (or template) the IDE sees and the definition carrying it in `key`: the child's own,
    /// or `muxgate://SERVER/…` when several children list it (then remembered as namespaced).
    private mutating func expose(
        _ name: String,
        key: String,
        of server: String,
        shared: Bool,
        in definition: JSONSlice
    ) -> (String, JSONValue) {
        guard shared else { return (name, definition.value) }
        let exposed = Self.namespaced(name, server: server)
        namespacedURIs[server, default: []].insert(name)
        return (exposed, Self.setting(key, to: exposed, in: definition))
    }

    /// `definition` with one string member replaced, every other byte as the child wrote it.
    package static func setting(_ key: String, to text: String, in definition: JSONSlice) -> JSONValue {
        var splice = JSONSplice()
        splice.setMember(key, to: JSONValue.quoted(text), in: definition)
        return .raw(ArraySlice(splice.apply(to: definition.buffer, within: definition.range)))
    }

    /// The server that owns an exposed URI and the URI to send it: a listed resource, a
    /// `muxgate://SERVER/` URI, else the template with the longest literal prefix.
    ///
    /// Every route that reaches a child by URI (`resources/read`, `subscribe`, `unsubscribe`,
    /// completion references, 2026-07-28 subscriptions) comes through here, so the server's
    /// `resources:` filter is applied to the URI the child would get, however it was named: nil
    /// for a URI the filter keeps from the IDE (as for one no child owns).
    package func route(_ uri: String) -> (server: String, uri: String)? {
        if let owner = owners[uri] { return owner }
        if uri.hasPrefix(Self.scheme) {
            let rest = uri.dropFirst(Self.scheme.count)
            if let slash = rest.firstIndex(of: "/"), servers.contains(String(rest[..<slash])) {
                let server = String(rest[..<slash])
                let inner = String(rest[rest.index(after: slash)...])
                if let owner = owners.values.first(where: { $0 == (server, inner) }) { return owner }
                let template = templates.filter { $0.server == server && inner.hasPrefix(Self.childPrefix($0)) }
                    .max { $0.prefix.count < $1.prefix.count }
                guard let filter = filters[server], Self.admits(inner, filter, template: template?.pattern) else {
                    return nil
                }
                return (server, inner)
            }
        }
        guard
            let template = templates.filter({ uri.hasPrefix($0.prefix) && !$0.prefix.isEmpty })
                .max(by: { $0.prefix.count < $1.prefix.count })
        else { return nil }
        let namespace = Self.namespaced("", server: template.server)
        let inner = uri.hasPrefix(namespace) ? String(uri.dropFirst(namespace.count)) : uri
        guard let filter = filters[template.server], Self.admits(inner, filter, template: template.pattern) else {
            return nil
        }
        return (template.server, inner)
    }

    /// A template's literal prefix as its child wrote it (without `muxgate://SERVER/`).
    private static func childPrefix(
        _ template: (server: String, prefix: String, pattern: String, definition: JSONValue)
    )
        -> String
    {
        let namespace = namespaced("", server: template.server)
        return template.prefix.hasPrefix(namespace)
            ? String(template.prefix.dropFirst(namespace.count)) : template.prefix
    }

    /// Whether `filter` lets the IDE reach `uri`, in every form a child might read it as: as
    /// written, and normalized (`URIReadings`). An allow list may admit a URI through the
    /// template it fills; a deny glob that matches any form refuses it.
    package static func admits(_ uri: String, _ filter: ListFilterConfig, template: String? = nil) -> Bool {
        URIReadings.of(uri).allSatisfy { form in
            if let allow = filter.allow,
                !allow.contains(where: { $0.matches(form) || template.map($0.matches) == true })
            {
                return false
            }
            return !filter.deny.contains { $0.matches(form) }
        }
    }

    /// The server that owns `uri`.
    package func owner(of uri: String) -> String? { route(uri)?.server }

    package var resourceItems: [JSONValue] { resources.map(\.definition) }

    package var templateItems: [JSONValue] { templates.map(\.definition) }

    /// True when the IDE would see different resources or templates.
    package func differs(from other: ResourceCatalogue, in kind: ListKind) -> Bool {
        switch kind {
        case .resources: resources.map(\.definition.encoded) != other.resources.map(\.definition.encoded)
        default: templates.map(\.definition.encoded) != other.templates.map(\.definition.encoded)
        }
    }
}
