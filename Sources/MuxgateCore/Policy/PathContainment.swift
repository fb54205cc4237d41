#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The `under` check: does a path stay inside a base directory once `..` and symlinks are resolved?
///
/// Both paths are made canonical the way the kernel would walk them: component by component, each
/// symlink replaced by its target (relative targets against the link's directory, at most 40 hops),
/// `..` taking the physical parent. Components that do not exist are kept as written and the walk
/// goes on lexically, still resolving any later component that exists. Relative paths resolve
/// against the base. The result must be the base or inside it, component-wise (`/srv/app2` is not
/// under `/srv/app`). Empty paths, NUL bytes and a leading `~` are refused. A symlink created after
/// the check is not seen: the check is as good as the filesystem is stable.
package enum PathContainment {
    /// The outcome of the check.
    package enum Verdict: Sendable, Equatable {
        case inside(canonical: String)
        case outside(canonical: String)
        /// The path cannot be judged (empty, NUL, `~`, a symlink loop, an unreadable directory…).
        case invalid(String)
    }

    /// Checks `path` (absolute, or relative to `base`) against the absolute directory `base`.
    package static func check(_ path: String, under base: String) -> Verdict {
        if let problem = problem(in: path) { return .invalid(problem) }
        guard base.hasPrefix("/"), problem(in: base) == nil else {
            return .invalid("the base '\(base)' is not an absolute path")
        }
        let canonicalBase: String
        switch canonicalize(base) {
        case .success(let resolved): canonicalBase = resolved
        case .failure(let failure): return .invalid("the base \(base) cannot be resolved: \(failure.message)")
        }
        switch canonicalize(path.hasPrefix("/") ? path : base + "/" + path) {
        case .success(let canonical):
            return isInside(canonical, canonicalBase) ? .inside(canonical: canonical) : .outside(canonical: canonical)
        case .failure(let failure):
            return .invalid(failure.message)
        }
    }

    /// True when `path` is `base` or below it, both canonical.
    static func isInside(_ path: String, _ base: String) -> Bool {
        base == "/" || path == base || path.hasPrefix(base + "/")
    }

    private static func problem(in path: String) -> String? {
        if path.isEmpty { return "the path is empty" }
        if path.utf8.contains(0) { return "the path contains a NUL byte" }
        if path.hasPrefix("~") { return "'~' is not expanded here; give an absolute path" }
        return nil
    }

    /// Why a path could not be resolved.
    struct Failure: Error {
        let message: String
    }

    /// The canonical form of an absolute path: no `.`, `..`, empty components or symlinks that exist.
    static func canonicalize(_ absolute: String) -> Result<String, Failure> {
        var resolved: [Substring] = []
        var pending: [Substring] = absolute.split(separator: "/").reversed()
        var hops = 0
        while let part = pending.popLast() {
            if part == "." { continue }
            if part == ".." {
                _ = resolved.popLast()
                continue
            }
            let candidate = "/" + (resolved + [part]).joined(separator: "/")
            // readlink says it all without stat: a link's target, EINVAL for anything else that
            // exists, ENOENT/ENOTDIR for a path that does not (yet).
            switch readLink(candidate) {
            case .link(let target):
                hops += 1
                guard hops <= 40 else { return .failure(Failure(message: "too many symbolic links at \(candidate)")) }
                if target.hasPrefix("/") { resolved = [] }
                pending.append(contentsOf: target.split(separator: "/").reversed())
            case .notLink:
                resolved.append(part)
            case .failed(let code):
                return .failure(Failure(message: "cannot inspect \(candidate): \(String(cString: strerror(code)))"))
            }
        }
        return .success("/" + resolved.joined(separator: "/"))
    }

    private enum LinkRead {
        case link(String)
        /// It exists and is no link, or it does not exist.
        case notLink
        case failed(Int32)
    }

    private static func readLink(_ path: String) -> LinkRead {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink(path, &buffer, buffer.count)
        guard count >= 0 else {
            let code = errno
            return [EINVAL, ENOENT, ENOTDIR].contains(code) ? .notLink : .failed(code)
        }
        guard count < buffer.count else { return .failed(ENAMETOOLONG) }
        return .link(String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
}
