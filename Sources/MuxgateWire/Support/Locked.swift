import Synchronization

/// A `Mutex` in a class, for state that closures share (a `Mutex` itself cannot be captured).
package final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    package init(_ value: Value) {
        mutex = Mutex(value)
    }

    package func withLock<Result>(_ body: (inout sending Value) throws -> sending Result) rethrows -> sending Result {
        try mutex.withLock(body)
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
