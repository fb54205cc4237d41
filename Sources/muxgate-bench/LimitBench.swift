import Foundation
import MuxgateConfig
import MuxgatePolicy
import MuxgateWire

/// `muxgate-bench limits`: what one limit check costs in process — the stage's choice of the limits
/// that apply, then `Limiter.admit` for a rate, a rate with calls in flight (admitted and given
/// back), a quota kept in memory and a quota journalled to disk (the file's lock, a look for other
/// muxgates' lines, one `write(2)`). Best of five runs, in ns a check.
enum LimitBench {
    static func run(_ arguments: [String]) throws {
        let count = arguments.firstIndex(of: "--checks").flatMap { Int(arguments[$0 + 1]) } ?? 1_000_000
        let directory = NSTemporaryDirectory() + "muxgate-limit-bench-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = try ConfigLoader(environment: [:], secrets: Secrets()).parse(
            """
            servers: { fx: { command: x }, web: { command: x } }
            limits:
              rate: { tools: ['fx_*'], rate: 1000000000/second, burst: 1000000000 }
              flight: { tools: ['fx_*'], rate: 1000000000/second, concurrency: 64 }
              quota: { tools: ['fx_*'], quota: 1000000000/day }
              web-a: { server: web, rate: 10/minute }
              web-b: { tools: ['web_search*'], quota: 100/day }
            """,
            file: directory + "/bench.yaml"
        )
        let rules = config.limits
        let byName = Dictionary(uniqueKeysWithValues: rules.map { ($0.name, $0) })
        print("| check | ns a check |")
        print("|---|---:|")
        // The stage's choice: five limits, the ones that apply to fx_echo for alice under `full`:
        // matched once, then remembered.
        var chosen = 0
        report("choosing the limits that apply, first time (5 limits' globs, 3 apply)", count / 10) {
            chosen &+=
                rules.filter {
                    $0.applies(tool: "fx_echo", server: "fx", caller: "alice", profile: "full")
                }.count
        }
        let table = LimitTable(rules)
        report("choosing the limits that apply, remembered (the stage's path)", count) {
            chosen &+= table.applying(tool: "fx_echo", server: "fx", caller: "alice", profile: "full").count
        }
        let memory = Limiter(journalPath: nil)
        memory.configure(rules)
        let rate = [byName["rate"]!]
        report("rate (token bucket)", count) { _ = memory.admit(rate, tool: "fx_echo", caller: "alice") }
        let flight = [byName["flight"]!]
        report("rate + calls in flight, admitted and released", count) {
            if case .success(let hold) = memory.admit(flight, tool: "fx_echo", caller: "alice") { hold?.release() }
        }
        let quota = [byName["quota"]!]
        report("quota in memory (no journal)", count) { _ = memory.admit(quota, tool: "fx_echo", caller: "alice") }
        let journalled = Limiter(journalPath: directory + "/limits.journal")
        journalled.configure(rules)
        report("quota journalled (flock, fstat, write)", count / 10) {
            _ = journalled.admit(quota, tool: "fx_echo", caller: "alice")
        }
        let all = [byName["rate"]!, byName["flight"]!, byName["quota"]!]
        report("rate + in flight + quota in memory, together", count) {
            if case .success(let hold) = memory.admit(all, tool: "fx_echo", caller: "alice") { hold?.release() }
        }
        report("the whole check: choosing + rate + in flight + quota in memory", count) {
            let applying = table.applying(tool: "fx_echo", server: "fx", caller: "alice", profile: "full")
            if case .success(let hold) = memory.admit(applying, tool: "fx_echo", caller: "alice") { hold?.release() }
        }
        if chosen == 0 { print("(nothing chosen)") }
    }

    /// Runs `body` `count` times, five times over; prints the best run's ns a call.
    static func report(_ name: String, _ count: Int, _ body: () -> Void) {
        var best = Double.infinity
        for _ in 0..<5 {
            let started = ContinuousClock.now
            for _ in 0..<count { body() }
            let elapsed = ContinuousClock.now - started
            let ns = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) * 1e-9
            best = min(best, ns / Double(count))
        }
        print("| \(name) | \(String(format: "%.0f", best)) |")
    }
}
