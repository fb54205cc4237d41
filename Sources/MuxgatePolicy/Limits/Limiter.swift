package import MuxgateConfig
import Synchronization

/// The counters of every limit, per caller: token buckets, calls in flight and quota counts.
///
/// One per gateway, outliving reloads: a reload that keeps a limit (by name) keeps its counters;
/// quotas are journalled (`LimitJournal`) and read back on start. A call is admitted only when
/// every limit that applies admits it, and then counts against all of them at once.
package final class Limiter: Sendable {
    /// The counters of one limit for one caller.
    struct Counters {
        var bucket: TokenBucket?
        var inFlight = 0
        var window = 0
        var used = 0
    }

    struct State {
        var counters: [LimitKey: Counters] = [:]
        var journal: LimitJournal?
        /// Why the journal cannot be used: quotas refuse every call until it can.
        var storeFailure: String?
    }

    private let state = Mutex(State())
    package let clock: LimitClock
    /// The quota journal's file (nil: quotas are kept in memory only, for tests and benchmarks).
    package let journalPath: String?

    package init(journalPath: String?, clock: LimitClock = .system) {
        self.journalPath = journalPath
        self.clock = clock
    }

    /// Takes a configuration's limits: counters of limits it no longer has are dropped; the
    /// journal is opened (once) when a limit has a quota.
    ///
    /// - Returns: Why quotas will refuse calls (the journal cannot be read), to log; else nil.
    @discardableResult
    package func configure(_ rules: [LimitRule]) -> String? {
        let names = Set(rules.map(\.name))
        let wantsJournal = rules.contains { $0.quota != nil }
        let since = Int(clock.wall()) - LimitRate.Period.day.seconds
        return state.withLock { state -> String? in
            state.counters = state.counters.filter { names.contains($0.key.limit) }
            guard wantsJournal, state.journal == nil || state.storeFailure != nil, let journalPath else {
                return state.storeFailure
            }
            do throws(LimitJournalError) {
                let journal = try LimitJournal(path: journalPath)
                let counts = try journal.lock(since: since)
                journal.unlock()
                state.journal = journal
                state.storeFailure = nil
                Self.merge(counts, into: &state)
            } catch {
                state.storeFailure =
                    error.description + "; muxgate refuses calls under a quota until it is fixed "
                    + "(then reload the configuration or restart)"
            }
            return state.storeFailure
        }
    }

    /// Admits a call to `tool` by `caller` under `rules` (the limits that apply to it), or says
    /// which refuses it. Admitted, it counts against every one; the hold gives back its calls in
    /// flight when released (or dropped). Refused, it counts against none.
    package func admit(_ rules: [LimitRule], tool: String, caller: String) -> Result<LimitHold?, LimitRefusal> {
        let now = clock.monotonic()
        let quotas = rules.contains { $0.quota != nil }
        let wall = quotas ? clock.wall() : 0
        let callerHash = caller.hashValue
        return state.withLock { state -> Result<LimitHold?, LimitRefusal> in
            // A quota: under the journal's lock, with what other muxgates counted meanwhile.
            var journal: LimitJournal?
            if quotas, state.storeFailure == nil, let open = state.journal {
                do throws(LimitJournalError) {
                    Self.merge(try open.lock(since: Int(wall) - LimitRate.Period.day.seconds), into: &state)
                    journal = open
                } catch {
                    state.storeFailure = error.description
                }
            }
            defer { journal?.unlock() }
            // Each limit checks and counts in place (one lookup); a refusal undoes those before it.
            var admitted = 0
            var refusal: LimitRefusal?
            let failure = state.storeFailure
            for rule in rules {
                refusal = Self.check(
                    rule,
                    &state.counters[Self.key(rule, caller, callerHash), default: Counters()],
                    tool: tool,
                    caller: caller,
                    now: now,
                    wall: wall,
                    storeFailure: failure
                )
                if refusal != nil { break }
                admitted += 1
            }
            if refusal == nil, let journal {
                for rule in rules where rule.quota != nil {
                    let key = Self.key(rule, caller, callerHash)
                    let counters = state.counters[key]!
                    do throws(LimitJournalError) {
                        try journal.append(key, window: counters.window, used: counters.used)
                    } catch {
                        state.storeFailure = error.description
                        refusal = Self.storeRefusal(rule, caller: caller, error.description)
                        break
                    }
                }
            }
            if let refusal {
                for rule in rules.prefix(admitted) {
                    Self.undo(rule, &state.counters[Self.key(rule, caller, callerHash)]!, tool: tool)
                }
                return .failure(refusal)
            }
            guard rules.contains(where: { $0.concurrency != nil }) else { return .success(nil) }
            var held: [LimitKey] = []
            for rule in rules where rule.concurrency != nil { held.append(Self.key(rule, caller, callerHash)) }
            return .success(LimitHold(self, held))
        }
    }

    /// Checks one limit and, when it admits, counts the call in `counters`; refused, `counters`
    /// keep their counts (a bucket may have been refilled).
    private static func check(
        _ rule: LimitRule,
        _ counters: inout Counters,
        tool: String,
        caller: String,
        now: Double,
        wall: Double,
        storeFailure: String?
    ) -> LimitRefusal? {
        var bucket: TokenBucket?
        if let rate = rule.rate, let capacity = rule.capacity {
            var refilled = counters.bucket ?? TokenBucket(capacity: capacity, now: now)
            refilled.refill(perSecond: rate.perSecond, capacity: capacity, now: now)
            counters.bucket = refilled
            let wait = refilled.wait(perSecond: rate.perSecond)
            guard wait == 0 else {
                return LimitRefusal(
                    limit: rule.name,
                    kind: .rate,
                    caller: caller,
                    used: capacity - Int(refilled.tokens.rounded(.down)),
                    allowed: capacity,
                    retryAfter: max(1, Int(wait.rounded(.up))),
                    allowance: rule.allowance
                )
            }
            bucket = refilled
        }
        if let concurrency = rule.concurrency, counters.inFlight >= concurrency {
            return LimitRefusal(
                limit: rule.name,
                kind: .concurrency,
                caller: caller,
                used: counters.inFlight,
                allowed: concurrency,
                retryAfter: 1,
                allowance: rule.allowance
            )
        }
        var quotaCount: (window: Int, used: Int)?
        if let quota = rule.quota {
            if let storeFailure { return storeRefusal(rule, caller: caller, storeFailure) }
            let length = quota.period.seconds
            let window = Int(wall) / length * length
            let used = counters.window == window ? counters.used : 0
            let cost = rule.cost(of: tool)
            guard used + cost <= quota.count else {
                return LimitRefusal(
                    limit: rule.name,
                    kind: .quota,
                    caller: caller,
                    used: used,
                    allowed: quota.count,
                    retryAfter: max(1, Int((Double(window + length) - wall).rounded(.up))),
                    allowance: rule.allowance
                )
            }
            quotaCount = (window, used + cost)
        }
        // Every part admits: count the call.
        if var bucket {
            bucket.take()
            counters.bucket = bucket
        }
        if rule.concurrency != nil { counters.inFlight += 1 }
        if let quotaCount { (counters.window, counters.used) = quotaCount }
        return nil
    }

    /// Takes counts read from the journal: a newer window, or more in the same one.
    private static func merge(_ counts: LimitJournal.Counts, into state: inout State) {
        for (key, count) in counts {
            var counters = state.counters[key] ?? Counters()
            if (count.window, count.used) > (counters.window, counters.used) {
                (counters.window, counters.used) = (count.window, count.used)
                state.counters[key] = counters
            }
        }
    }

    private static func key(_ rule: LimitRule, _ caller: String, _ callerHash: Int) -> LimitKey {
        LimitKey(limit: rule.name, caller: caller, limitHash: rule.nameHash, callerHash: callerHash)
    }

    /// Takes back what `check` counted for a call another limit then refused.
    private static func undo(_ rule: LimitRule, _ counters: inout Counters, tool: String) {
        if rule.rate != nil { counters.bucket?.giveBack() }
        if rule.concurrency != nil { counters.inFlight -= 1 }
        if rule.quota != nil { counters.used -= rule.cost(of: tool) }
    }

    private static func storeRefusal(_ rule: LimitRule, caller: String, _ failure: String) -> LimitRefusal {
        LimitRefusal(
            limit: rule.name,
            kind: .store,
            caller: caller,
            used: 0,
            allowed: rule.quota?.count ?? 0,
            retryAfter: 60,
            allowance: rule.allowance,
            detail: failure
        )
    }

    /// Gives back one call in flight of each of `keys`.
    func release(_ keys: [LimitKey]) {
        state.withLock { state in
            for key in keys where state.counters[key] != nil {
                state.counters[key]!.inFlight = max(0, state.counters[key]!.inFlight - 1)
            }
        }
    }

    /// What `caller` has used of `rule` now: tokens taken, calls in flight, quota counted.
    package func usage(of rule: LimitRule, caller: String) -> (rate: Int?, inFlight: Int, quota: Int) {
        let (now, wall) = (clock.monotonic(), clock.wall())
        return state.withLock { state in
            guard var counters = state.counters[LimitKey(limit: rule.name, caller: caller)] else { return (nil, 0, 0) }
            var rate: Int?
            if let perSecond = rule.rate?.perSecond, let capacity = rule.capacity, var bucket = counters.bucket {
                bucket.refill(perSecond: perSecond, capacity: capacity, now: now)
                rate = capacity - Int(bucket.tokens.rounded(.down))
            }
            if let length = rule.quota?.period.seconds, counters.window != Int(wall) / length * length {
                counters.used = 0
            }
            return (rate, counters.inFlight, counters.used)
        }
    }
}
