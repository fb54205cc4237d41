/// The quota journal failed: which file, what, and what to do.
package struct LimitJournalError: Error, Sendable, CustomStringConvertible {
    package let path: String
    package let message: String

    package init(path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    package var description: String { "the quota journal \(path) \(message)" }
}
