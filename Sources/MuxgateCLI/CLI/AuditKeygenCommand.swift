package import ArgumentParser
import Foundation
import MuxgateAudit
import MuxgateChildren
import MuxgateCommands
import MuxgateConfig
import MuxgateDiscovery
import MuxgatePolicy
import MuxgateRemote
import MuxgateRouting
import MuxgateTeam
import MuxgateTelemetry
import MuxgateWire

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// `muxgate audit keygen --out FILE`: an Ed25519 key pair for `audit.anchor`.
package struct AuditKeygenCommand: AsyncParsableCommand {
    package init() {}

    package static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Make an Ed25519 key pair for audit.anchor: FILE (the private key, mode 600) and FILE.pub.",
        discussion: """
            Both are PEM (PKCS#8 and SubjectPublicKeyInfo, as openssl writes them). The public key and its id \\
            are printed too: give the public key to whoever runs `muxgate audit verify --anchor`. \\
            Exit status: 0 written, 2 a file exists (pass --force), 3 cannot write.
            """
    )

    @Option(help: ArgumentHelp("Where to write the private key; the public key goes to FILE.pub.", valueName: "file"))
    package var out: String

    @Flag(help: "Replace existing files.")
    package var force = false

    package func run() async throws {
        let key = AuditSigningKey()
        let publicKey = key.publicKey
        try write(key.pem, to: out, mode: 0o600)
        try write(publicKey.pem, to: out + ".pub", mode: 0o644)
        print("wrote \(out) (the private key: keep it secret) and \(out).pub")
        print("key id: \(publicKey.id)")
        print("public key (base64): \(publicKey.base64)")
        print("config: audit: { anchor: { path: FILE, key_file: \(out) } }")
    }

    /// Writes `text` to a new file (or, with `--force`, over an existing one) with `mode`.
    private func write(_ text: String, to path: String, mode: mode_t) throws {
        let flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (force ? O_TRUNC : O_EXCL)
        let descriptor = open(path, flags, mode)
        guard descriptor >= 0 else {
            let code = errno
            if code == EEXIST { return try fail(2, "\(path) exists; pass --force to replace it") }
            return try fail(3, "\(path): cannot create it: \(AuditFile.describe(code))")
        }
        defer { _ = close(descriptor) }
        // An existing file keeps its mode on open: set ours (a private key must not stay readable).
        guard fchmod(descriptor, mode) == 0 else {
            return try fail(3, "\(path): cannot set mode \(String(mode, radix: 8)): \(AuditFile.describe(errno))")
        }
        let (_, error) = writeAll(Array(text.utf8), to: descriptor)
        if let error { return try fail(3, "\(path): cannot write it: \(AuditFile.describe(error))") }
        guard fsync(descriptor) == 0 else { return try fail(3, "\(path): fsync failed: \(AuditFile.describe(errno))") }
    }

    private func fail<T>(_ code: Int32, _ message: String) throws -> T {
        Console.error("muxgate: \(message)\n")
        throw ExitCode(code)
    }
}
