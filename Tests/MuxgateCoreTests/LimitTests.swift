import Foundation
import MuxgateTesting
import Synchronization
import Testing

@testable import MuxgateConfig
@testable import MuxgatePolicy
@testable import MuxgateWire

/// A clock a test moves: no sleeps.
final class ManualLimitClock: Sendable {
    private let time = Mutex((monotonic: 1000.0, wall: 1_765_065_600.0 + 3600))

    var clock: LimitClock {
        LimitClock(monotonic: { self.time.withLock { $0.monotonic } }, wall: { self.time.withLock { $0.wall } })
    }

    func advance(_ seconds: Double) {
        time.withLock {
            $0.monotonic += seconds
            $0.wall += seconds
        }
    }
}

/// The limits' parts: the token bucket, the counters per caller, quotas and their journal, the
/// `limits:` section's validation.
@Suite("Limits: token buckets, calls in flight, quotas and their journal, the limits: section")
struct LimitTests {
    static func rule(_ yaml: String, name: String = "l") throws -> LimitRule {
        let config = try ConfigLoader(environment: [:], secrets: Secrets()).parse(
            "servers: { mem: { command: x } }\nlimits:\n  \(name): \(yaml)\n",
            file: "/etc/muxgate.yaml"
        )
        return try #require(config.limits.first)
    }

    static func issue(_ limits: String) -> String {
        do {
            _ = try ConfigLoader(environment: [:], secrets: Secrets()).parse(
                "servers: { mem: { command: x } }\nclients: { alice: { token_sha256: \(String(repeating: "a", count: 64)) } }\nlimits:\n\(limits)\n",
                file: "/etc/muxgate.yaml"
            )
            return "no error"
        } catch { return "\(error)" }
    }

    @Test("N/period reads with plural periods; anything else is refused")
    func rates() {
        #expect(LimitRate("10/minute") == LimitRate(count: 10, period: .minute))
        #expect(LimitRate("3/hours") == LimitRate(count: 3, period: .hour))
        #expect(LimitRate("500/day", allowed: [.hour, .day])?.perSecond == 500.0 / 86_400)
        for bad in ["0/minute", "-1/second", "10", "10/fortnight", "ten/minute", "10/day/x"] {
            #expect(LimitRate(bad) == nil, "\(bad)")
        }
        #expect(LimitRate("5/second", allowed: [.hour, .day]) == nil, "a quota counts hours or days")
    }

    @Test("a token bucket never holds more than its burst nor admits more than burst + rate × time")
    func bucketProperty() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let capacity = Int.random(in: 1...20, using: &generator)
            let perSecond = Double.random(in: 0.1...50, using: &generator)
            var bucket = TokenBucket(capacity: capacity, now: 0)
            var (now, admitted) = (0.0, 0)
            for _ in 0..<300 {
                now += Double.random(in: 0...0.2, using: &generator)
                bucket.refill(perSecond: perSecond, capacity: capacity, now: now)
                #expect(bucket.tokens <= Double(capacity) + 1e-9)
                if bucket.wait(perSecond: perSecond) == 0 {
                    bucket.take()
                    admitted += 1
                } else {
                    #expect(bucket.wait(perSecond: perSecond) <= 1 / perSecond + 1e-9)
                }
            }
            #expect(Double(admitted) <= Double(capacity) + perSecond * now + 1e-6)
        }
    }

    @Test("a rate admits its burst, refuses with the seconds to wait, and refills with time")
    func rate() throws {
        let time = ManualLimitClock()
        let limiter = Limiter(journalPath: nil, clock: time.clock)
        let rule = try Self.rule("{ rate: 6/minute, burst: 2 }")
        limiter.configure([rule])
        #expect(throws: Never.self) { try limiter.admit([rule], tool: "t", caller: "alice").get() }
        #expect(throws: Never.self) { try limiter.admit([rule], tool: "t", caller: "alice").get() }
        let refused = try #require(limiter.admit([rule], tool: "t", caller: "alice").failure)
        #expect(refused.kind == .rate && refused.used == 2 && refused.allowed == 2 && refused.retryAfter == 10)
        #expect(refused.message.contains("retry in 10 s"), "\(refused.message)")
        // Another caller's bucket is its own.
        #expect(throws: Never.self) { try limiter.admit([rule], tool: "t", caller: "bob").get() }
        time.advance(9)
        #expect(limiter.admit([rule], tool: "t", caller: "alice").failure?.retryAfter == 1)
        time.advance(1)
        #expect(throws: Never.self) { try limiter.admit([rule], tool: "t", caller: "alice").get() }
    }

    @Test("calls in flight are given back when the hold is released or dropped, once")
    func concurrency() throws {
        let limiter = Limiter(journalPath: nil, clock: ManualLimitClock().clock)
        let rule = try Self.rule("{ concurrency: 2 }")
        limiter.configure([rule])
        let first = try limiter.admit([rule], tool: "t", caller: "alice").get()
        var second = try limiter.admit([rule], tool: "t", caller: "alice").get()
        #expect(limiter.admit([rule], tool: "t", caller: "alice").failure?.kind == .concurrency)
        first?.release()
        first?.release()
        #expect(limiter.usage(of: rule, caller: "alice").inFlight == 1, "released once")
        second = nil
        #expect(second == nil && limiter.usage(of: rule, caller: "alice").inFlight == 0, "dropped: released")
        #expect(throws: Never.self) { try limiter.admit([rule], tool: "t", caller: "alice").get() }
    }

    @Test("a refused call counts against none of its limits; an admitted one against all")
    func atomic() throws {
        let limiter = Limiter(journalPath: nil, clock: ManualLimitClock().clock)
        let quota = try Self.rule("{ quota: 5/day }", name: "q")
        let rate = try Self.rule("{ rate: 1/hour }", name: "r")
        limiter.configure([quota, rate])
        _ = limiter.admit([quota, rate], tool: "t", caller: "a")
        #expect(limiter.admit([quota, rate], tool: "t", caller: "a").failure?.limit == "r")
        #expect(limiter.usage(of: quota, caller: "a").quota == 1, "the refused call did not count")
    }

    @Test(
        "a part of one limit refusing takes back what the other parts counted, and a later limit's refusal the earlier's"
    )
    func undo() throws {
        let limiter = Limiter(journalPath: nil, clock: ManualLimitClock().clock)
        let both = try Self.rule("{ rate: 1/hour, burst: 2, concurrency: 1, quota: 10/day }", name: "both")
        let tight = try Self.rule("{ concurrency: 1 }", name: "tight")
        limiter.configure([both, tight])
        let held = try limiter.admit([both], tool: "t", caller: "a").get()
        #expect(limiter.admit([both], tool: "t", caller: "a").failure?.kind == .concurrency)
        #expect(limiter.usage(of: both, caller: "a").rate == 1, "the refused call took no token")
        #expect(limiter.usage(of: both, caller: "a").quota == 1, "nor any quota")
        held?.release()
        let other = try limiter.admit([tight], tool: "t", caller: "a").get()
        #expect(limiter.admit([both, tight], tool: "t", caller: "a").failure?.limit == "tight")
        #expect(limiter.usage(of: both, caller: "a").rate == 1 && limiter.usage(of: both, caller: "a").inFlight == 0)
        #expect(limiter.usage(of: both, caller: "a").quota == 1)
        other?.release()
    }

    @Test("a quota counts costs per UTC window and resets at the next")
    func quotaCosts() throws {
        let time = ManualLimitClock()
        let limiter = Limiter(journalPath: nil, clock: time.clock)
        let rule = try Self.rule("{ quota: 10/day, costs: { web_search: 4, 'web_*': 2 } }")
        limiter.configure([rule])
        #expect(rule.cost(of: "web_search") == 4 && rule.cost(of: "web_fetch") == 2 && rule.cost(of: "x") == 1)
        for _ in 0..<2 { _ = try limiter.admit([rule], tool: "web_search", caller: "a").get() }
        let refused = try #require(limiter.admit([rule], tool: "web_search", caller: "a").failure)
        #expect(refused.kind == .quota && refused.used == 8 && refused.retryAfter == 86_400 - 3600)
        _ = try limiter.admit([rule], tool: "web_fetch", caller: "a").get()
        time.advance(86_400 - 3600)
        #expect(throws: Never.self) { try limiter.admit([rule], tool: "web_search", caller: "a").get() }
    }

    @Test("quotas survive a restart through the journal, and are shared by muxgates using it")
    func journal() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("limits-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/limits.journal"
        let time = ManualLimitClock()
        let rule = try Self.rule("{ quota: 3/day }")
        do {
            let first = Limiter(journalPath: path, clock: time.clock)
            #expect(first.configure([rule]) == nil)
            let other = Limiter(journalPath: path, clock: time.clock)
            other.configure([rule])
            _ = try first.admit([rule], tool: "t", caller: "a").get()
            _ = try other.admit([rule], tool: "t", caller: "a").get()
            _ = try first.admit([rule], tool: "t", caller: "a").get()
            #expect(other.admit([rule], tool: "t", caller: "a").failure?.kind == .quota, "counted by both")
        }
        // A last line cut short by a crash is ignored.
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(#"{"limit":"l","caller":"a","win"#.utf8))
        try handle.close()
        let restarted = Limiter(journalPath: path, clock: time.clock)
        #expect(restarted.configure([rule]) == nil)
        #expect(restarted.usage(of: rule, caller: "a").quota == 3)
        #expect(restarted.admit([rule], tool: "t", caller: "a").failure?.kind == .quota)
        #expect(throws: Never.self) { try restarted.admit([rule], tool: "t", caller: "b").get() }
        time.advance(86_400)
        #expect(throws: Never.self) { try restarted.admit([rule], tool: "t", caller: "a").get() }
    }

    @Test("an unreadable journal fails closed: calls under a quota are refused, saying what to do")
    func journalUnreadable() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("limits-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/limits.journal"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data("not a count\n".utf8).write(to: URL(fileURLWithPath: path))
        let limiter = Limiter(journalPath: path, clock: ManualLimitClock().clock)
        let quota = try Self.rule("{ quota: 3/day }", name: "q")
        let rate = try Self.rule("{ rate: 3/second }", name: "r")
        let failure = try #require(limiter.configure([quota, rate]))
        #expect(failure.contains(path) && failure.contains("move it away"), "\(failure)")
        let refused = try #require(limiter.admit([quota], tool: "t", caller: "a").failure)
        #expect(refused.kind == .store && refused.message.contains(path))
        #expect(throws: Never.self) { try limiter.admit([rate], tool: "t", caller: "a").get() }
        // Fixed, a reload takes it.
        try FileManager.default.removeItem(atPath: path)
        #expect(limiter.configure([quota, rate]) == nil)
        #expect(throws: Never.self) { try limiter.admit([quota], tool: "t", caller: "a").get() }
    }

    @Test("a reload keeps the counters of the limits it keeps and drops the others'")
    func reload() throws {
        let limiter = Limiter(journalPath: nil, clock: ManualLimitClock().clock)
        let kept = try Self.rule("{ rate: 1/hour }", name: "kept")
        let gone = try Self.rule("{ rate: 1/hour }", name: "gone")
        limiter.configure([kept, gone])
        _ = limiter.admit([kept, gone], tool: "t", caller: "a")
        let widened = try Self.rule("{ rate: 1/hour, burst: 1 }", name: "kept")
        limiter.configure([widened])
        #expect(limiter.admit([widened], tool: "t", caller: "a").failure?.kind == .rate, "state kept")
        limiter.configure([widened, gone])
        #expect(throws: Never.self) { try limiter.admit([gone], tool: "t", caller: "a").get() }
    }

    @Test("a limit applies by server, tool glob, client and profile")
    func applies() throws {
        let rule = try Self.rule(
            "{ server: mem, tools: ['mem_w*', mem_x], clients: [local], profiles: [full], rate: 1/second }"
        )
        #expect(rule.applies(tool: "mem_write", server: "mem", caller: "local", profile: "full"))
        #expect(rule.applies(tool: "mem_x", server: "mem", caller: "local", profile: "full"))
        #expect(!rule.applies(tool: "mem_read", server: "mem", caller: "local", profile: "full"))
        #expect(!rule.applies(tool: "mem_write", server: "other", caller: "local", profile: "full"))
        #expect(!rule.applies(tool: "mem_write", server: "mem", caller: "alice", profile: "full"))
        #expect(!rule.applies(tool: "mem_write", server: "mem", caller: "local", profile: "readonly"))
        #expect(try Self.rule("{ concurrency: 1 }").applies(tool: "any", server: "any", caller: "x", profile: "y"))
    }

    @Test("the limits: section's mistakes name the key and what to do")
    func configErrors() {
        let cases: [(String, String)] = [
            ("  l: { rate: 10/fortnight }", "limits.l.rate: '10/fortnight' is not a rate"),
            ("  l: { quota: 5/second }", "limits.l.quota: '5/second' is not a quota"),
            ("  l: { burst: 3 }", "limits.l.burst: a burst needs a rate"),
            ("  l: { rate: 1/second, burst: 0 }", "limits.l.burst: 0 is not a burst"),
            ("  l: { concurrency: 0 }", "limits.l.concurrency: 0 is not a concurrency"),
            ("  l: { tools: [x] }", "limits.l: the limit limits nothing"),
            ("  l: { rate: 1/second, costs: { x: 2 } }", "limits.l.costs: costs count against a quota"),
            ("  l: { quota: 1/day, costs: { x: -1 } }", "limits.l.costs.x: -1 is not a cost"),
            ("  l: { server: nope, rate: 1/second }", "limits.l.server: no server is named 'nope'"),
            ("  l: { clients: [bob], rate: 1/second }", "limits.l.clients: no client is named 'bob'"),
            ("  l: { profiles: [nope], rate: 1/second }", "limits.l.profiles:"),
            ("  l: { tools: ['[x'], rate: 1/second }", "limits.l.tools"),
            ("  l: { tools: '[x', rate: 1/second }", "limits.l.tools: '[x' is not a valid glob"),
            ("  l: { tools: { a: 1 }, rate: 1/second }", "limits.l.tools"),
            ("  l: { rate: 1/second, speed: 3 }", "unknown key"),
            ("  'a b': { rate: 1/second }", "limit name 'a b' may only use"),
        ]
        for (limits, expected) in cases {
            let error = Self.issue(limits)
            #expect(error.contains(expected) && error.contains("/etc/muxgate.yaml"), "\(limits) → \(error)")
        }
        #expect(Self.issue("  l: { clients: [alice, local], rate: 1/second }") == "no error")
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let failure) = self { return failure }
        return nil
    }
}
