import Foundation
import MuxgateTesting
import Synchronization
import Testing

@testable import MuxgateAudit
@testable import MuxgateCLI
@testable import MuxgateChildren
@testable import MuxgateCommands
@testable import MuxgateConfig
@testable import MuxgatePolicy
@testable import MuxgateRemote
@testable import MuxgateRouting
@testable import MuxgateTeam
@testable import MuxgateTelemetry
@testable import MuxgateWire

/// The anchor's writer: when checkpoints are written, what they hold, and how the file is kept.
@Suite("Audit anchor: signed checkpoints at intervals and at stop")
struct AuditAnchorTests {
    /// Polls `condition` every 10 ms for at most `seconds`.
    func eventually(_ seconds: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return try condition()
    }

    @Test("the thread writes a checkpoint per interval while records come, none while idle, and the last after stop")
    func intervalsAndStop() throws {
        let scratch = try AnchoredScratch()
        let (log, anchor) = try scratch.open(interval: .milliseconds(50))
        try log.append(AuditScratch.decision(0), durable: false)
        anchor.start()
        // The thread's first turn anchors what is there.
        #expect(try eventually { scratch.checkpointsSoFar().last?.seq == 1 })
        #expect(try scratch.checkpoints().first?.reason == "start")
        // Its record follows it in the log, naming it.
        #expect(try eventually { log.lastSeq == 2 })
        let record = try #require(AuditEntry.parse(Array(try scratch.scratch.lines()[1].utf8)[...]))
        #expect(record.event == "checkpoint" && record.text("checkpoint") == "1")
        #expect(record.text("checkpoint_sha256") == (try scratch.checkpoints()[0].lineHash))
        // New records: the next interval anchors them.
        try log.append(AuditScratch.outcome(0), durable: false)
        #expect(try eventually { scratch.checkpointsSoFar().last?.seq == 3 })
        #expect(try scratch.checkpoints().last?.reason == "interval")
        // Idle: only its own record is new, so no more checkpoints (a short bounded look: nothing to wait for).
        #expect(try eventually { log.lastSeq == 4 })
        Thread.sleep(forTimeInterval: 0.3)
        #expect(try scratch.checkpoints().count == 2 && log.lastSeq == 4)
        anchor.stop()
        let head = try #require(try log.close(reason: "done"))
        try anchor.finish(covering: head)
        let last = try #require(try scratch.checkpoints().last)
        #expect(last.reason == "stop" && last.seq == head.seq && last.seq == 5 && last.number == 3)
        let stop = try #require(AuditEntry.parse(Array(try scratch.scratch.lines().last!.utf8)[...]))
        #expect(stop.event == "stop" && stop.text("anchor") == scratch.publicKey.id)
        #expect(scratch.verify().isIntact)
    }

    @Test("appending records writes no checkpoint: the call path never touches the anchor")
    func notPerRecord() throws {
        let scratch = try AnchoredScratch()
        let (log, anchor) = try scratch.open()
        for index in 0..<200 { try log.append(AuditScratch.decision(index), durable: index % 3 == 0) }
        #expect(!FileManager.default.fileExists(atPath: scratch.anchorPath))
        #expect(anchor.written == 0)
        try anchor.tick(.interval)
        #expect(try scratch.checkpoints().count == 1 && anchor.written == 1)
    }

    @Test("a checkpoint holds the log's first and last record, the previous checkpoint's hash, and verifies")
    func checkpointContent() throws {
        let scratch = try AnchoredScratch()
        let (log, _) = try scratch.writeSession(calls: 6)
        let entries = try scratch.scratch.lines().map { try #require(AuditEntry.parse(Array($0.utf8)[...])) }
        let checkpoints = try scratch.checkpoints()
        #expect(checkpoints.map(\.number) == [1, 2, 3])
        #expect(checkpoints.allSatisfy { $0.firstSeq == 1 && $0.firstHash == entries[0].hash })
        for checkpoint in checkpoints { #expect(entries[Int(checkpoint.seq) - 1].hash == checkpoint.hash) }
        #expect(checkpoints[0].prev == AuditRecord.genesis)
        #expect(checkpoints[1].prev == checkpoints[0].lineHash && checkpoints[2].prev == checkpoints[1].lineHash)
        #expect(checkpoints.allSatisfy { $0.key == scratch.publicKey.id && $0.session == log.session })
        #expect(checkpoints.allSatisfy { $0.isSigned(by: scratch.publicKey) })
        #expect(!checkpoints[0].isSigned(by: AuditSigningKey().publicKey))
        // The layout is fixed: the signature is last, over the bytes before it.
        let line = try scratch.anchorLines()[0]
        #expect(line.hasPrefix(#"{"checkpoint":1,"ts":""#) && line.contains(#","sig":""#) && line.hasSuffix(#""}"#))
        #expect(try permissions(scratch.anchorPath) == 0o600)
        #expect(try permissions((scratch.anchorPath as NSString).deletingLastPathComponent) == 0o700)
    }

    @Test("sessions continue the anchor's chain; the first record it knows is kept from checkpoint 1")
    func sessionsContinue() throws {
        let scratch = try AnchoredScratch()
        try scratch.writeSession(calls: 3)
        try scratch.writeSession(calls: 4)
        let checkpoints = try scratch.checkpoints()
        #expect(checkpoints.map(\.number) == Array(1...UInt64(checkpoints.count)))
        #expect(Set(checkpoints.map(\.session)).count == 2 && checkpoints.allSatisfy { $0.firstSeq == 1 })
        #expect(scratch.verify().isIntact)
    }

    @Test("two processes on one log share the anchor: one gap-free chain of checkpoints")
    func twoProcesses() throws {
        let scratch = try AnchoredScratch()
        let (first, firstAnchor) = try scratch.open()
        let (second, secondAnchor) = try scratch.open()
        for index in 0..<6 {
            try (index % 2 == 0 ? first : second).append(AuditScratch.decision(index), durable: false)
            try (index % 3 == 0 ? firstAnchor : secondAnchor).tick(.interval)
        }
        try firstAnchor.finish(covering: try first.close(reason: "a"))
        try secondAnchor.finish(covering: try second.close(reason: "b"))
        #expect(try scratch.checkpoints().map(\.number) == Array(1...UInt64(try scratch.checkpoints().count)))
        let result = scratch.verify()
        #expect(result.isIntact, "\(result.report)")
    }

    @Test("an anchor that lost this process's checkpoints is continued from memory, so the gap shows")
    func lostAnchorContinues() throws {
        let scratch = try AnchoredScratch()
        let reported = Mutex<[String]>([])
        let (log, anchor) = try scratch.open { error in reported.withLock { $0.append(error.message) } }
        try log.append(AuditScratch.decision(0), durable: false)
        try anchor.tick(.interval)
        try log.append(AuditScratch.decision(1), durable: false)
        try anchor.tick(.interval)
        try FileManager.default.removeItem(atPath: scratch.anchorPath)
        try log.append(AuditScratch.decision(2), durable: false)
        try anchor.tick(.interval)
        #expect(try scratch.checkpoints().map(\.number) == [3])
        #expect(reported.withLock { $0 }.contains { $0.contains("lost checkpoints") })
        #expect(scratch.verify().problem == .anchorBroken)
    }

    @Test("an anchor signed with another key is refused at start-up, naming both keys")
    func anotherKeysAnchor() throws {
        let scratch = try AnchoredScratch()
        try scratch.writeSession(calls: 1)
        let log = try AuditLog(path: scratch.path, key: nil)
        let other = AuditSigningKey()
        #expect {
            try AuditAnchor(path: scratch.anchorPath, key: other, log: log)
        } throws: { error in
            guard let error = error as? AuditError else { return false }
            return error.code == .anchorKey && error.message.contains(other.publicKey.id)
                && error.message.contains(scratch.publicKey.id)
        }
    }

    @Test("the syslog copy is the checkpoint line in syslog(3)'s local format, authpriv.info")
    func syslogFormat() throws {
        let receiver = try SyslogReceiver()
        defer { receiver.close() }
        let scratch = try AnchoredScratch()
        try scratch.writeSession(calls: 3, syslog: AuditSyslog(socketPath: receiver.path))
        let received = receiver.received()
        let lines = try scratch.anchorLines()
        #expect(received.count == lines.count)
        for (message, line) in zip(received, lines) {
            #expect(message.wholeMatch(of: /<86>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d muxgate-audit\[\d+\]: .*/) != nil)
            #expect(message.hasSuffix("]: " + line))
        }
        // No daemon: the checkpoint is still written; the failure is reported, not thrown.
        let reported = Mutex(0)
        let (log, anchor) = try scratch.open(syslog: AuditSyslog(socketPath: "/nonexistent/log")) { _ in
            reported.withLock { $0 += 1 }
        }
        try log.append(AuditScratch.decision(0), durable: false)
        #expect(try anchor.checkpoint(.interval) != nil)
        #expect(reported.withLock { $0 } == 1)
    }
}

/// Keys: formats, errors that never show the key, and openssl interoperability.
@Suite("Audit anchor keys and configuration")
struct AuditAnchorKeyTests {
    @Test("keys round-trip through PEM and base64; the id names the public key")
    func formats() throws {
        let key = AuditSigningKey()
        let fromPEM = try #require(AuditSigningKey(text: key.pem))
        #expect(fromPEM.publicKey == key.publicKey)
        #expect(key.pem.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        #expect(try #require(AuditPublicKey(text: key.publicKey.pem)) == key.publicKey)
        #expect(try #require(AuditPublicKey(text: key.publicKey.base64)) == key.publicKey)
        #expect(key.publicKey.id.count == 16 && key.publicKey.id != AuditSigningKey().publicKey.id)
        #expect(AuditSigningKey(text: "not a key") == nil && AuditPublicKey(text: key.pem) == nil)
        #expect(AuditSigningKey(text: Data(repeating: 7, count: 31).base64EncodedString()) == nil)
    }

    @Test("a missing, world-readable, malformed or unset key is an error naming it and what to do, never its value")
    func keyErrors() throws {
        let directory = try TestPaths.temporaryDirectory("muxgate-anchor-key")
        let file = directory + "/anchor.key"
        func error(_ config: AuditAnchorConfig, _ environment: [String: String] = [:]) -> AuditError? {
            do {
                _ = try config.signingKey(environment: environment)
                return nil
            } catch {
                return error
            }
        }
        let missing = try #require(error(AuditAnchorConfig(path: "a", keyFile: file)))
        #expect(missing.code == .anchorKey && missing.path == file && missing.message.contains("audit keygen"))
        let secretLooking = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA=="
        try secretLooking.write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, 0o644)
        let open = try #require(error(AuditAnchorConfig(path: "a", keyFile: file)))
        #expect(open.message.contains("chmod 600") && !open.description.contains(secretLooking))
        chmod(file, 0o600)
        let malformed = try #require(error(AuditAnchorConfig(path: "a", keyFile: file)))
        #expect(malformed.message.contains("Ed25519") && !malformed.description.contains(secretLooking))
        let unset = try #require(error(AuditAnchorConfig(path: "a", keyEnv: "MUXGATE_NO_SUCH_ANCHOR_KEY")))
        #expect(unset.message.contains("MUXGATE_NO_SUCH_ANCHOR_KEY"))
        let key = AuditSigningKey()
        let env = ["K": key.pem]
        #expect(error(AuditAnchorConfig(path: "a", keyEnv: "K"), env) == nil)
        let fromEnv = try AuditAnchorConfig(path: "a", keyEnv: "K").signingKey(environment: env)
        #expect(fromEnv.publicKey == key.publicKey)
    }

    @Test(
        "a key made by openssl signs checkpoints openssl verifies",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl"))
    )
    func openssl() throws {
        let directory = try TestPaths.temporaryDirectory("muxgate-anchor-openssl")
        func run(_ arguments: [String]) throws -> Int32 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }
        let keyFile = directory + "/key.pem"
        let publicFile = directory + "/key.pub"
        #expect(try run(["genpkey", "-algorithm", "ed25519", "-out", keyFile]) == 0)
        #expect(try run(["pkey", "-in", keyFile, "-pubout", "-out", publicFile]) == 0)
        chmod(keyFile, 0o600)
        let key = try AuditAnchorConfig(path: "a", keyFile: keyFile).signingKey(environment: [:])
        let published = try AuditPublicKey.load(publicFile, environment: [:])
        #expect(published == key.publicKey)
        let checkpoint = try AuditCheckpoint.make(
            number: 1,
            ts: AuditTimestamp.format(Date()),
            key: key,
            session: "s",
            reason: .stop,
            first: (1, AuditRecord.genesis),
            covering: AuditLog.Head(seq: 1, hash: AuditRecord.genesis),
            prev: AuditRecord.genesis
        )
        try Data(checkpoint.body).write(to: URL(fileURLWithPath: directory + "/body"))
        try Data(checkpoint.signature).write(to: URL(fileURLWithPath: directory + "/sig"))
        let verify = [
            "pkeyutl", "-verify", "-pubin", "-inkey", publicFile, "-rawin", "-in", directory + "/body", "-sigfile",
            directory + "/sig",
        ]
        #expect(try run(verify) == 0)
        // And muxgate's own PEM is openssl's.
        try key.publicKey.pem.write(toFile: publicFile, atomically: true, encoding: .utf8)
        #expect(try run(verify) == 0)
    }

    func decode(_ json: String) throws -> AuditConfig {
        try JSONDecoder().decode(AuditConfig.self, from: Data(json.utf8))
    }

    @Test("audit.anchor decodes with its defaults and every key")
    func config() throws {
        let anchor = try #require(try decode(#"{"anchor":{"path":"~/a/audit.anchor","key_file":"k"}}"#).anchor)
        #expect(anchor.interval == .seconds(60) && !anchor.syslog && anchor.keyEnv == nil && anchor.publicKey == nil)
        #expect(anchor.resolvedPath(environment: ["HOME": "/h"]) == "/h/a/audit.anchor")
        let full = try #require(
            try decode(
                #"{"anchor":{"path":"a","key_env":"ANCHOR_KEY","interval":"5s","syslog":true,"public_key":"p.pub"}}"#
            ).anchor
        )
        #expect(full.interval == .seconds(5) && full.syslog && full.keyEnv == "ANCHOR_KEY" && full.publicKey == "p.pub")
        #expect(try decode("{}").anchor == nil)
    }

    @Test(
        "bad anchor settings are errors naming the key",
        arguments: [
            (#"{"anchor":{"path":"a","key_fle":"k"}}"#, "key_fle", "did you mean 'key_file'"),
            (#"{"anchor":{"key_file":"k"}}"#, "path", "needs a path"),
            (#"{"anchor":{"path":"a"}}"#, "key_file", "audit keygen"),
            (#"{"anchor":{"path":"a","key_file":"k","key_env":"K"}}"#, "key_env", "not both"),
            (#"{"anchor":{"path":"a","key_env":"$K"}}"#, "key_env", "not an environment variable"),
            (#"{"anchor":{"path":"a","key_file":"k","interval":"100ms"}}"#, "interval", "under 1s"),
            (#"{"anchr":{}}"#, "anchr", "did you mean 'anchor'"),
        ]
    )
    func configErrors(json: String, key: String, message: String) throws {
        #expect {
            try decode(json)
        } throws: { error in
            guard let issue = error as? ConfigIssue else { return false }
            return issue.path.last == key && issue.message.contains(message)
        }
    }

    @Test("in a YAML file an unknown anchor key is reported with its line and a suggestion")
    func yaml() throws {
        let loader = ConfigLoader(environment: ["HOME": "/home/dev"], currentDirectory: "/work")
        do {
            _ = try loader.parse("servers: {}\naudit:\n  anchor:\n    path: a\n    keyfile: k\n", file: "/etc/m.yaml")
            Issue.record("an unknown key was accepted")
        } catch {
            #expect(error.code == .unknownKey && error.path == "audit.anchor.keyfile" && error.line == 5)
            #expect(error.message.contains("did you mean 'key_file'"))
        }
    }

    @Test("check reports the anchor, a key it cannot load, a mismatched public key and an anchor beside the log")
    func check() throws {
        let directory = try TestPaths.temporaryDirectory("muxgate-anchor-check")
        let loader = ConfigLoader(environment: ["HOME": directory], currentDirectory: directory)
        func report(_ audit: String, environment: [String: String] = [:]) throws -> (lines: [String], problems: Int) {
            let config = try loader.parse("servers: {}\n" + audit, file: directory + "/muxgate.yaml")
            return CheckCommand.auditReport(config, environment: ["HOME": directory].merging(environment) { $1 })
        }
        let none = try report("")
        #expect(none.problems == 0 && none.lines[0].contains("not anchored"))
        let missing = try report("audit: { anchor: { path: /var/anchor/a, key_file: none.key } }")
        #expect(missing.problems == 1 && missing.lines.contains { $0.hasPrefix("✗") && $0.contains("audit keygen") })
        let key = AuditSigningKey()
        let environment = ["ANCHOR_KEY": key.pem]
        let fine = try report(
            "audit: { path: /l/audit.jsonl, anchor: { path: /a/audit.anchor, key_env: ANCHOR_KEY } }",
            environment: environment
        )
        #expect(
            fine.problems == 0 && fine.lines[0].contains("anchored to /a/audit.anchor")
                && fine.lines[0].contains(key.publicKey.id)
        )
        let beside = try report(
            "audit: { path: /l/audit.jsonl, anchor: { path: /l/audit.anchor, key_env: ANCHOR_KEY } }",
            environment: environment
        )
        #expect(beside.problems == 1 && beside.lines.contains { $0.contains("in the log's directory") })
        let mismatched = try report(
            "audit: { anchor: { path: /a/x, key_env: ANCHOR_KEY, public_key: \(AuditSigningKey().publicKey.base64) } }",
            environment: environment
        )
        #expect(mismatched.problems == 1 && mismatched.lines.contains { $0.contains("not the public half") })
    }
}
