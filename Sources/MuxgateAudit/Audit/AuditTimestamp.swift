package import Foundation
import MuxgateConfig
import MuxgateWire

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// RFC 3339 timestamps in UTC with milliseconds (`2025-06-18T09:30:00.123Z`).
package enum AuditTimestamp {
    /// Formats `date` as the `ts` of a record.
    package static func format(_ date: Date) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = time_t(millis >= 0 ? millis / 1000 : (millis - 999) / 1000)
        let fraction = Int(millis - Int64(seconds) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        // Written digit by digit: this runs twice per audited call.
        return String(unsafeUninitializedCapacity: 24) { out in
            var at = 0
            func put(_ value: Int32, _ width: Int) {
                var value = value
                for offset in stride(from: width - 1, through: 0, by: -1) {
                    out[at + offset] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
                at += width
            }
            func put(_ character: Unicode.Scalar) {
                out[at] = UInt8(ascii: character)
                at += 1
            }
            put(parts.tm_year + 1900, 4)
            put("-")
            put(parts.tm_mon + 1, 2)
            put("-")
            put(parts.tm_mday, 2)
            put("T")
            put(parts.tm_hour, 2)
            put(":")
            put(parts.tm_min, 2)
            put(":")
            put(parts.tm_sec, 2)
            put(".")
            put(Int32(fraction), 3)
            put("Z")
            return at
        }
    }

    /// Parses an RFC 3339 date-time (fraction and offset optional) or a plain `YYYY-MM-DD` (UTC midnight).
    package static func parse(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withFullDate]
        return formatter.date(from: text)
    }
}
