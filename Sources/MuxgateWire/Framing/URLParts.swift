import Foundation

/// The parts of an absolute http(s) URL muxgate needs: scheme, host, port, path and query.
///
/// Foundation's `URL` accepts what RFC 3986 does not and differs across platforms; this is the
/// small, strict subset remote children use (no user info, no fragment).
package struct URLParts: Sendable, Equatable {
    package var scheme: String
    package var host: String
    package var port: Int?
    /// The path, "/" when empty, with the query (`?…`) if any.
    package var pathAndQuery: String

    package init?(_ text: String) {
        guard let schemeEnd = text.range(of: "://") else { return nil }
        scheme = text[..<schemeEnd.lowerBound].lowercased()
        let rest = text[schemeEnd.upperBound...]
        guard !rest.contains("#") else { return nil }
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        var tail = String(rest[authorityEnd...])
        if tail.first == "?" { tail = "/" + tail }
        pathAndQuery = tail.isEmpty ? "/" : tail
        if authority.first == "[" {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = String(authority[authority.index(after: authority.startIndex)..<close]).lowercased()
            let after = authority[authority.index(after: close)...]
            if after.isEmpty {
                port = nil
            } else {
                guard after.first == ":", let number = Int(after.dropFirst()), (1...65535).contains(number) else {
                    return nil
                }
                port = number
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon]).lowercased()
            guard let number = Int(authority[authority.index(after: colon)...]), (1...65535).contains(number) else {
                return nil
            }
            port = number
        } else {
            host = authority.lowercased()
            port = nil
        }
        guard !host.isEmpty else { return nil }
    }

    /// `scheme://host[:port]`: what two URLs must share to be the same origin.
    package var origin: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(shownHost)\(port.map { ":\($0)" } ?? "")"
    }

    package var text: String { origin + pathAndQuery }

    package var path: String {
        pathAndQuery.firstIndex(of: "?").map { String(pathAndQuery[..<$0]) } ?? pathAndQuery
    }

    package var isLoopback: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// `reference` (absolute, or a path the server gave, e.g. an SSE `endpoint`) resolved
    /// against this URL; nil when it is another origin or not a URL.
    package func resolving(_ reference: String) -> URLParts? {
        if reference.contains("://") {
            guard let other = URLParts(reference), other.origin == origin else { return nil }
            return other
        }
        var resolved = self
        if reference.hasPrefix("/") {
            resolved.pathAndQuery = reference
        } else if reference.hasPrefix("?") {
            resolved.pathAndQuery = path + reference
        } else {
            let base = path.lastIndex(of: "/").map { String(path[...$0]) } ?? "/"
            resolved.pathAndQuery = base + reference
        }
        return resolved
    }
}
