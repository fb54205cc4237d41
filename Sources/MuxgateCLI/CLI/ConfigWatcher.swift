import Foundation
package import Logging
import MuxgateAudit
import MuxgateChildren
import MuxgateCommands
import MuxgateConfig
import MuxgateDiscovery
import MuxgatePolicy
import MuxgateRemote
package import MuxgateRouting
import MuxgateTeam
import MuxgateTelemetry
import MuxgateWire
import ServiceLifecycle
import UnixSignals

/// Reloads the configuration on SIGHUP and, with `serve --watch`, when the configuration file or
/// its lockfile changes on disk (polled: editors that replace the file by renaming are seen too).
package struct ConfigWatcher: Service {
    package let gateway: Gateway
    package let file: String
    package let profile: String?
    /// How often the files are compared with what was loaded; nil: SIGHUP only.
    package let interval: Duration?
    package let logger: Logger

    package func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        logger.info(
            interval == nil
                ? "SIGHUP reloads \(file)"
                : "watching \(file) and \(Lockfile.path(forConfig: file)) (SIGHUP reloads too)"
        )
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await _ in signals.cancelOnGracefulShutdown() {
                    logger.notice("SIGHUP: reloading \(file)")
                    await reload()
                }
            }
            if let interval {
                group.addTask {
                    try? await cancelWhenGracefulShutdown { await poll(every: interval) }
                }
            }
        }
    }

    private func poll(every interval: Duration) async {
        var seen = fingerprint()
        while (try? await Task.sleep(for: interval)) != nil {
            let now = fingerprint()
            guard now != seen else { continue }
            seen = now
            logger.notice("\(file) or its lockfile changed: reloading")
            await reload()
        }
    }

    private func reload() async {
        await gateway.reload { try ConfigLoader(profileOverride: profile).load(file) }
    }

    /// The bytes of the configuration file and of its lockfile (either may be missing).
    private func fingerprint() -> [Data?] {
        [file, Lockfile.path(forConfig: file)].map { FileManager.default.contents(atPath: $0) }
    }
}
