import Dispatch
import Foundation

/// The time limits read: a monotonic clock for rates, the wall clock for quota windows (UTC days
/// and hours). Injectable, so a test moves time instead of sleeping.
package struct LimitClock: Sendable {
    /// Seconds on a clock that never goes back (rates).
    package let monotonic: @Sendable () -> Double
    /// Seconds since 1970 (quota windows).
    package let wall: @Sendable () -> Double

    package init(monotonic: @escaping @Sendable () -> Double, wall: @escaping @Sendable () -> Double) {
        self.monotonic = monotonic
        self.wall = wall
    }

    /// The system's clocks.
    package static let system = LimitClock(
        monotonic: { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 },
        wall: { Date().timeIntervalSince1970 }
    )
}
