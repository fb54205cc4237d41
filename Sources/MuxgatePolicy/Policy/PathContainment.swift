import MuxgateConfig
import MuxgateWire

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The `under` check: does a path stay inside a base directory however the child resolves it?
///
/// Children resolve paths two ways. Most hand the path to the kernel, which walks it component by
/// component: each symlink replaced by its target, `..` taking the physical parent. Many first
/// normalize it as text (Python's `os.path.abspath`, Node's `path.resolve`, Go's `filepath.Clean`:
/// `..` drops the previous component whatever it is) and then hand that to the kernel. The two
/// differ when `..` follows a symlink: `base/link/../../x` with `link` pointing deep inside the
/// base stays inside for the kernel, and is `x` beside the base once normalized as text. So a path
/// is inside only if both readings are: the kernel's walk of the path, and the kernel's walk of
/// its textual normal form, each the base or below it, component-wise (`/srv/app2` is not under
/// `/srv/app`).
///
/// A relative path resolves against the child's working directory, as the child resolves it (its
/// `cwd:`, or muxgate's own), taken physically (`getcwd` is). Where that directory is not known
/// (a remote server) a relative path is refused. Components that do not exist are kept as
/// written and the walk goes on lexically, still resolving any later component that exists.
/// Empty paths, NUL bytes and a leading `~` are refused. A symlink created or swapped after the
/// check is not seen (see docs/policy.md for the race and the defence to pair with it).
package enum PathContainment {
    /// The outcome of the check.
    package enum Verdict: Sendable, Equatable {
        case inside(canonical: String)
        case outside(canonical: String)
        /// The path cannot be judged (empty, NUL, `~`, a symlink loop, an unreadable directory…).
        case invalid(String)
    }

    /// Checks `path` against the absolute directory `base`.
    ///
    /// - Parameters:
    ///   - workingDirectory: Where the child resolves a relative path (absolute); nil when it is
    ///     not known here, which refuses relative paths.
    package static func check(_ path: String, under base: String, workingDirectory: String?) -> Verdict {
        if let problem = problem(in: path) { return .invalid(problem) }
        guard base.hasPrefix("/"), problem(in: base) == nil else {
            return .invalid("the base '\(base)' is not an absolute path")
        }
        let canonicalBase: String
        switch canonicalize(base) {
        case .success(let resolved): canonicalBase = resolved
        case .failure(let failure): return .invalid("the base \(base) cannot be resolved: \(failure.message)")
        }
        let absolute: String
        if path.hasPrefix("/") {
            absolute = path
        } else {
            guard let workingDirectory, workingDirectory.hasPrefix("/") else {
                return .invalid(
                    "it is relative, and the server's working directory is not known here (a remote server); "
                        + "give an absolute path"
                )
            }
            switch canonicalize(workingDirectory) {
            case .success(let directory): absolute = directory + "/" + path
            case .failure(let failure):
                return .invalid("the working directory \(workingDirectory) cannot be resolved: \(failure.message)")
            }
        }
        // The kernel's walk of the path, then of the path normalized as text first.
        var resolved: [String] = []
        for candidate in [absolute, lexical(absolute)] {
            switch canonicalize(candidate) {
            case .success(let canonical):
                guard isInside(canonical, canonicalBase) else { return .outside(canonical: canonical) }
                resolved.append(canonical)
            case .failure(let failure):
                return .invalid(failure.message)
            }
        }
        return .inside(canonical: resolved[0])
    }

    /// The path normalized as text: `.` and empty components dropped, `..` removing the component
    /// before it whatever that is (at the root it stays at the root).
    package static func lexical(_ absolute: String) -> String {
        var parts: [Substring] = []
        for part in absolute.split(separator: "/") {
            switch part {
            case ".": continue
            case "..": _ = parts.popLast()
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// True when `path` is `base` or below it, both canonical.
    package static func isInside(_ path: String, _ base: String) -> Bool {
        base == "/" || path == base || path.hasPrefix(base + "/")
    }

    private static func problem(in path: String) -> String? {
        if path.isEmpty { return "the path is empty" }
        if path.utf8.contains(0) { return "the path contains a NUL byte" }
        if path.hasPrefix("~") { return "'~' is not expanded here; give an absolute path" }
        return nil
    }

    /// Why a path could not be resolved.
    package struct Failure: Error {
        package let message: String
    }

    /// The canonical form of an absolute path: no `.`, `..`, empty components or symlinks that exist.
    package static func canonicalize(_ absolute: String) -> Result<String, Failure> {
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
