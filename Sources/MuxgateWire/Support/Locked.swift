import Synchronization

/// A `Mutex` in a class, for state that closures share (a `Mutex` itself cannot be captured).
///
/// The lock is a `Mutex<Void>` beside the value rather than a `Mutex<Value>`: code that calls
/// `withLock` unspecialised (every caller in another module) then needs no `Mutex<Value>` type
/// metadata, which it looked up at run time on every call (about 400 instructions, seven times a
/// tools/call). The value is only ever touched inside the lock.
package final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = Mutex<Void>(())
    // The lock is the exclusivity check: the run-time one cost ~430 instructions a call.
    @exclusivity(unchecked) private nonisolated(unsafe) var value: Value

    package init(_ value: Value) {
        self.value = value
    }

    package func withLock<Result>(_ body: (inout sending Value) throws -> sending Result) rethrows -> sending Result {
        try lock.withLock { _ in try body(&value) }
    }
}

/// A boolean closures share, read without a lock (an `Atomic` cannot be captured either).
package final class SharedFlag: Sendable {
    private let value = Atomic<Bool>(false)

    package init() {}

    package var isSet: Bool { value.load(ordering: .relaxed) }

    package func set() { value.store(true, ordering: .relaxed) }
}

/// A counter closures share, without a lock.
package final class SharedCounter: Sendable {
    private let value = Atomic<Int>(0)

    package init() {}

    package var current: Int { value.load(ordering: .acquiring) }

    package func add(_ delta: Int) { value.add(delta, ordering: .releasing) }
}
