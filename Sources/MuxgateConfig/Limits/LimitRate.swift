import MuxgateWire

/// `N/PERIOD` as a limit writes it (`10/minute`, `500/day`): how many in how long.
package struct LimitRate: Sendable, Equatable, CustomStringConvertible {
    /// A period a limit counts over; quotas count over fixed UTC windows of it.
    package enum Period: String, Sendable, Equatable, CaseIterable {
        case second, minute, hour, day

        /// Its length in seconds.
        package var seconds: Int {
            switch self {
            case .second: 1
            case .minute: 60
            case .hour: 3600
            case .day: 86_400
            }
        }
    }

    package let count: Int
    package let period: Period

    package init(count: Int, period: Period) {
        self.count = count
        self.period = period
    }

    /// Parses `N/PERIOD`; nil when `text` is not one of `allowed`'s periods with a positive N.
    package init?(_ text: String, allowed: [Period] = Period.allCases) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2,
            let count = Int(parts[0].trimmingPrefix(" ")), count > 0,
            let period = Period(rawValue: String(parts[1]).lowercased().trimmingSuffix("s")),
            allowed.contains(period)
        else { return nil }
        self.init(count: count, period: period)
    }

    /// Refills per second.
    package var perSecond: Double { Double(count) / Double(period.seconds) }

    package var description: String { "\(count)/\(period.rawValue)" }
}

extension String {
    /// `hours` → `hour`: the plural of a period reads as well.
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) && count > suffix.count ? String(dropLast(suffix.count)) : self
    }
}
