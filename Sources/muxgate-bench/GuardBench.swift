import Foundation
import MuxgateConfig
import MuxgatePolicy
import MuxgateWire

// muxgate-bench guards: the result guard's cost per call and its false positives (docs/guards.md).
//
//   muxgate-bench guards [--iterations N] [--root PATH] [--show]
//
// Speed: `ResultGuard.inspect` with the default settings (secrets redact, hygiene on) over a
// tools/call result of 4 KiB and 256 KiB of ordinary text (this repository's sources) with nothing
// to find, the same with one key planted, and the same with guards off; the median of N runs.
// False positives: every finding in ordinary tool output, counted per MiB and per 4 KiB result:
// this repository's sources and docs, `git log -p` of it, and SQL result text (rows as
// mcp-server-sqlite prints them: ids, e-mail addresses, hashes, UUIDs, base64 blobs, timestamps).
// `--show` prints each finding's rule and file (never the text).

func guardsBench(_ arguments: [String], root: String) throws {
    let iterations = arguments.firstIndex(of: "--iterations").flatMap { Int(arguments[$0 + 1]) } ?? 20000
    let root = arguments.firstIndex(of: "--root").map { arguments[$0 + 1] } ?? root
    let show = arguments.contains("--show")
    let sources = try repositoryText(root)
    print("## Result guard: cost per call (ResultGuard.inspect, default settings)\n")
    print("| result | nothing to find | one key planted | guards off |")
    print("|---|---:|---:|---:|")
    for size in [4 << 10, 256 << 10] {
        let text = String(decoding: Array(sources.utf8.prefix(size - 64)), as: UTF8.self)
        let clean = guardResult(text)
        let planted = guardResult(text + " AKIAIOSFODNN7EXAMPL3 ")
        let scale = size > 64 << 10 ? max(1, iterations / 50) : iterations
        let none = timeGuard(clean, iterations: scale, settings: GuardsConfig.Settings())
        let hit = timeGuard(planted, iterations: scale, settings: GuardsConfig.Settings())
        var off = GuardsConfig.Settings()
        off.secrets = .off
        off.hygiene = false
        let baseline = timeGuard(clean, iterations: scale, settings: off)
        print("| \(size >> 10) KiB | \(format(none)) | \(format(hit)) | \(format(baseline)) |")
    }
    print("\n## Result guard: findings in ordinary tool output (false positives)\n")
    print("| corpus | MiB | 4 KiB results | results with a finding | findings | per MiB | by rule |")
    print("|---|---:|---:|---:|---:|---:|---|")
    let corpora: [(String, [(String, String)])] = [
        ("sources and docs", try repositoryFiles(root)),
        (
            "git log -p",
            [
                (
                    "git log -p",
                    try run(
                        "/usr/bin/git",
                        ["-C", root, "log", "-p", "--no-color", "--", "."] + plantingFiles.map { ":(exclude)" + $0 }
                    )
                )
            ]
        ),
        ("SQL results", [("sql", sqlRows(count: 40000))]),
    ]
    for (name, files) in corpora {
        var (bytes, results, flagged, findings) = (0, 0, 0, 0)
        var rules: [String: Int] = [:]
        for (file, text) in files {
            let utf8 = Array(text.utf8)
            var offset = 0
            while offset < utf8.count {
                // 4 KiB results, cut on a UTF-8 boundary.
                var end = min(utf8.count, offset + 4096)
                while end < utf8.count, utf8[end] & 0xC0 == 0x80 { end += 1 }
                let chunk = String(decoding: utf8[offset..<end], as: UTF8.self)
                let result = guardResult(chunk)
                let found = result.buffer.withUnsafeBufferPointer {
                    ResultGuard().scanner.scan($0, result.range, secrets: true, hygiene: false)
                }
                results += 1
                bytes += end - offset
                if !found.isEmpty { flagged += 1 }
                findings += found.count
                for finding in found {
                    rules[finding.rule, default: 0] += 1
                    if show { print("  \(finding.rule) in \(file)") }
                }
                offset = end
            }
        }
        let mib = Double(bytes) / Double(1 << 20)
        let byRule = rules.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print(
            "| \(name) | \(String(format: "%.1f", mib)) | \(results) | \(flagged) (\(String(format: "%.3f", 100 * Double(flagged) / Double(max(results, 1)))) %) | \(findings) | \(String(format: "%.2f", Double(findings) / mib)) | \(byRule.isEmpty ? "none" : byRule) |"
        )
    }
}

/// A tools/call result carrying `text`, as a child writes it.
func guardResult(_ text: String) -> JSONSlice {
    let value = JSONValue.object([
        ("content", .array([.object([("type", .string("text")), ("text", .string(text))])])), ("isError", .bool(false)),
    ])
    return try! JSONSlice.parse(value.encoded)
}

/// Median microseconds of one `inspect`.
func timeGuard(_ result: JSONSlice, iterations: Int, settings: GuardsConfig.Settings) -> Double {
    let guards = ResultGuard()
    var samples: [Double] = []
    let batch = 20
    samples.reserveCapacity(iterations / batch + 1)
    var sink = 0
    for _ in 0..<max(1, iterations / batch) {
        let started = ContinuousClock.now
        for _ in 0..<batch {
            var edits = JSONSplice()
            let verdict = guards.inspect(result, settings: settings, outputSchema: nil, spotlight: nil, into: &edits)
            sink &+= verdict.counts.count
        }
        let elapsed = ContinuousClock.now - started
        samples.append(
            Double(elapsed.components.attoseconds) / 1e12 / Double(batch) + Double(elapsed.components.seconds) * 1e6
                / Double(batch)
        )
    }
    if sink < 0 { print(sink) }
    samples.sort()
    return samples[samples.count / 2]
}

func format(_ microseconds: Double) -> String { String(format: "%.2f µs", microseconds) }

/// Swift sources and Markdown of the repository, as one text (the timing's ordinary output).
func repositoryText(_ root: String) throws -> String {
    try repositoryFiles(root).map(\.1).joined(separator: "\n")
}

/// The repository's Swift, Python, shell, YAML and Markdown files (not the tests of the guard's own
/// formats, which plant credentials on purpose).
func repositoryFiles(_ root: String) throws -> [(String, String)] {
    let listed = try run("/usr/bin/git", ["-C", root, "ls-files"]).split(separator: "\n").map(String.init)
    return listed.filter { path in
        [".swift", ".md", ".py", ".sh", ".yaml", ".yml"].contains { path.hasSuffix($0) }
            && !plantingFiles.contains(path)
    }.compactMap { path in
        (try? String(contentsOfFile: root + "/" + path, encoding: .utf8)).map { (path, $0) }
    }
}

/// The guard's own tests, docs and this benchmark, which plant credentials on purpose.
let plantingFiles = [
    "Tests/MuxgateCoreTests/GuardSecretsTests.swift", "Tests/MuxgateCoreTests/GuardGateTests.swift",
    "Tests/MuxgateIntegrationTests/GuardIntegrationTests.swift", "Sources/muxgate-bench/GuardBench.swift",
    "docs/guards.md",
]

func run(_ executable: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

/// Rows as mcp-server-sqlite prints a read_query result (a Python list of dicts), deterministic.
func sqlRows(count: Int) -> String {
    var state: UInt64 = 42
    func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state >> 11
    }
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    let names = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"]
    var rows: [String] = []
    for id in 1...count {
        let blob = String((0..<44).map { _ in alphabet[Int(next() % 64)] })
        let hex = String((0..<64).map { _ in Array("0123456789abcdef")[Int(next() % 16)] })
        let uuid = UUID().uuidString.lowercased()
        let name = names[Int(next() % 10)]
        rows.append(
            "{'id': \(id), 'name': '\(name.capitalized) \(id)', 'email': '\(name)\(id)@example.com', "
                + "'sha256': '\(hex)', 'token_b64': '\(blob)=', 'uuid': '\(uuid)', "
                + "'created_at': '2026-0\(1 + next() % 9)-1\(next() % 9) 12:\(10 + next() % 50):00', "
                + "'amount': \(Double(next() % 100_000) / 100), 'note': 'ordered \(next() % 20) items; ref #\(next() % 99999)'}"
        )
    }
    return "[" + rows.joined(separator: ", ") + "]"
}
