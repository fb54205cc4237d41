import Synchronization

/// Every value muxgate must never show, and the one function every sink scrubs with.
///
/// What counts as a secret is decided where configuration is read (`ConfigLoader`): every value a
/// `${VAR}` expansion put anywhere in a server's launch (env, args, url, headers, auth, a command
/// tool's run and env), every env and header value, URL user info, passwords written in arguments,
/// keys. They are added here as soon as they are known — before the configuration is validated,
/// so even the error that rejects it cannot print one — and never removed (a reload adds; an
/// old secret stays scrubbed).
///
/// The sinks call `scrub` and nothing else decides: the log handler (`ScrubbingLogHandler`),
/// everything the CLI prints (`Console`, and the module's `print`), every wire error muxgate
/// writes to an IDE (`JSONRPCError.value`) and its HTTP refusals, the audit trail (`AuditLog`),
/// and telemetry attributes. Values shorter than `minimumLength` are not scrubbed: they would
/// match ordinary words and numbers.
package final class Secrets: Sendable {
    /// The process's registry: muxgate runs one configuration at a time.
    package static let shared = Secrets()

    package static let minimumLength = 6
    package static let replacement = "[secret]"

    private struct State {
        /// Longest first, so a secret that contains another is replaced whole.
        package var values: [String] = []
        package var version = 0
    }

    private let state = Mutex(State())
    /// Whether any secret is known: the common case costs one atomic load per scrub.
    private let known = Atomic<Bool>(false)
    /// Bumped with every secret added, for sinks that keep a copy (`AuditLog`).
    private let changes = Atomic<Int>(0)

    /// A number that changes whenever a secret is added (one atomic load).
    package var version: Int { changes.load(ordering: .acquiring) }

    package init() {}

    /// Adds `values` (those long enough to scrub).
    package func add(_ values: some Sequence<String>) {
        let kept = values.filter { $0.utf8.count >= Self.minimumLength }
        guard !kept.isEmpty else { return }
        state.withLock { state in
            let merged = Set(state.values).union(kept)
            guard merged.count != state.values.count else { return }
            state.values = merged.sorted {
                $0.utf8.count > $1.utf8.count || ($0.utf8.count == $1.utf8.count && $0 < $1)
            }
            state.version += 1
            changes.store(state.version, ordering: .releasing)
        }
        known.store(true, ordering: .releasing)
    }

    /// Every secret, longest first, and a number that changes whenever one is added.
    package var snapshot: (values: [String], version: Int) {
        state.withLock { ($0.values, $0.version) }
    }

    /// `text` with every secret replaced by `[secret]`.
    package func scrub(_ text: String) -> String {
        guard known.load(ordering: .acquiring) else { return text }
        return Self.scrub(text, state.withLock { $0.values })
    }

    /// `text` with each of `values` (longest first) replaced by `[secret]`.
    package static func scrub(_ text: String, _ values: [String]) -> String {
        var text = text
        for secret in values where text.contains(secret) {
            text = text.replacing(secret, with: replacement)
        }
        return text
    }
}
