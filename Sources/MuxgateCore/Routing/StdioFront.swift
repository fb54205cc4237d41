import Foundation
package import Logging
package import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// The IDE-facing side: reads messages from stdin and hands them to the gateway.
///
/// Stdin is read on a dedicated thread (a blocking read never occupies the concurrency pool) and
/// framed on `\n` only. Requests whose answer must wait run concurrently in a task group; when
/// the IDE closes stdin, the service returns and the group shuts down.
package struct StdioFront: Service {
    let gateway: Gateway
    let maxMessageBytes: Int
    let descriptor: Int32
    let logger: Logger

    package init(gateway: Gateway, maxMessageBytes: Int, descriptor: Int32 = 0, logger: Logger) {
        self.gateway = gateway
        self.maxMessageBytes = maxMessageBytes
        self.descriptor = descriptor
        self.logger = logger
    }

    package func run() async throws {
        let (lines, continuation) = AsyncStream.makeStream(of: LineFramer.Event.self)
        // Lines handed to the gateway and not yet taken in: while any is, no line may overtake it
        // on the fast path (a cancel, then a call, reach the child in that order).
        let backlog = SharedCounter()
        let reader = Thread { [descriptor, maxMessageBytes, gateway] in
            nameThisThread("muxgate.stdin")
            var framer = LineFramer(maximumLineBytes: maxMessageBytes)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 1)
            defer { buffer.deallocate() }
            while true {
                let count = read(descriptor, buffer.baseAddress, buffer.count)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                framer.push(UnsafeRawBufferPointer(rebasing: buffer[..<count])) { event in
                    // A plain tools/call is handled right here; everything else goes to the gateway.
                    if backlog.current == 0, case .line(let line) = event, gateway.fastPath(line) { return }
                    backlog.add(1)
                    continuation.yield(event)
                }
            }
            framer.finish { continuation.yield($0) }
            continuation.finish()
        }
        reader.name = "muxgate.stdin"
        reader.start()
        // On graceful shutdown, stop taking lines (what is buffered is dropped). This is what
        // `cancelOnGracefulShutdown()` does, without its merged sequence's extra task hop per line.
        let shutdown = Latch()
        await withDiscardingTaskGroup { group in
            await withGracefulShutdownHandler {
                for await event in lines {
                    guard !shutdown.isFired else { break }
                    switch event {
                    case .line(let line):
                        if let work = await gateway.receive(line) {
                            group.addTask { await work() }
                        }
                    case .oversized(let bytes):
                        await gateway.refuseOversized(bytes: bytes)
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
