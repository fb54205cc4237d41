package import Logging
import MuxgateAudit
import MuxgateChildren
import MuxgateConfig
import MuxgatePolicy
import MuxgateTelemetry
import MuxgateWire
import ServiceLifecycle

/// The IDE-facing side: reads messages from stdin and hands them to the gateway.
///
/// Stdin is read on a dedicated thread (a blocking read never occupies the concurrency pool) and
/// framed on `\n` only. Requests whose answer must wait run concurrently in a task group; when
/// the IDE closes stdin, the service returns and the group shuts down.
package struct StdioFront: Service {
    package let gateway: Gateway
    package let maxMessageBytes: Int
    package let descriptor: Int32
    package let logger: Logger

    package init(gateway: Gateway, maxMessageBytes: Int, descriptor: Int32 = 0, logger: Logger) {
        self.gateway = gateway
        self.maxMessageBytes = maxMessageBytes
        self.descriptor = descriptor
        self.logger = logger
    }

    package func run() async throws {
        guard let session = gateway.primary else { return }
        let (lines, continuation) = AsyncStream.makeStream(of: LineFramer.Event.self)
        // Lines handed to the gateway and not yet taken in: while any is, no line may overtake it
        // on the fast path (a cancel, then a call, reach the child in that order).
        let backlog = SharedCounter()
        // The reading thread (a blocking read never occupies the concurrency pool) ends with stdin.
        Task { [descriptor, maxMessageBytes, gateway, session] in
            await readLines(from: descriptor, maximumLineBytes: maxMessageBytes, threadName: "muxgate.stdin") { event in
                // A plain tools/call is handled right here; everything else goes to the gateway.
                if backlog.current == 0, case .line(let line) = event, gateway.fastPath(line, from: session) { return }
                backlog.add(1)
                continuation.yield(event)
            }
            continuation.finish()
        }
        // On graceful shutdown, stop taking lines (what is buffered is dropped). This is what
        // `cancelOnGracefulShutdown()` does, without its merged sequence's extra task hop per line.
        let shutdown = Latch()
        await withDiscardingTaskGroup { group in
            await withGracefulShutdownHandler {
                for await event in lines {
                    guard !shutdown.isFired else { break }
                    switch event {
                    case .line(let line):
                        if let work = await gateway.receive(line, from: session) {
                            group.addTask { await work() }
                        }
                    case .oversized(let bytes):
                        await gateway.refuseOversized(bytes: bytes, from: session)
                    }
                    backlog.add(-1)
                }
            } onGracefulShutdown: {
                shutdown.fire()
                continuation.finish()
            }
            logger.info("client closed stdin: shutting down")
            group.cancelAll()
        }
    }
}
