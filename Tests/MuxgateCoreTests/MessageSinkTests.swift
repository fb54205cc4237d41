import Dispatch
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

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Message sink")
struct MessageSinkTests {
    /// A pipe whose write end a sink writes to; `available` reads what is there without waiting.
    final class Pipe {
        let read: Int32
        let write: Int32

        init() throws {
            var ends: [Int32] = [-1, -1]
            try #require(pipe(&ends) == 0)
            (read, write) = (ends[0], ends[1])
            _ = fcntl(read, F_SETFL, O_NONBLOCK)
        }

        deinit {
            close(read)
            close(write)
        }

        /// What the pipe holds now (nothing when empty).
        func available() -> String {
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            let count = buffer.withUnsafeMutableBytes { Glibc.read(read, $0.baseAddress, $0.count) }
            return count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : ""
        }
    }

    @Test("a message outside a batch is written at once, framed with a newline")
    func immediate() throws {
        let pipe = try Pipe()
        let sink = FileDescriptorSink(descriptor: pipe.write)
        sink.send(Array(#"{"id":1}"#.utf8))
        #expect(pipe.available() == "{\"id\":1}\n")
    }

    @Test("messages sent in a batch, by any thread, are held and written together, in order, when it ends")
    func batched() async throws {
        let pipe = try Pipe()
        let sink = FileDescriptorSink(descriptor: pipe.write)
        sink.batch {
            sink.send(Array(#"{"id":1}"#.utf8))
            sink.send(Array(#"{"id":2}"#.utf8))
            // Another thread's message, sent while the batch is open, queues behind them.
            let done = DispatchSemaphore(value: 0)
            DispatchQueue.global().async {
                sink.send(Array(#"{"id":3}"#.utf8))
                done.signal()
            }
            done.wait()
            #expect(pipe.available() == "", "nothing is written before the batch ends")
        }
        #expect(pipe.available() == "{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n")
        sink.send(Array(#"{"id":4}"#.utf8))
        #expect(pipe.available() == "{\"id\":4}\n")
    }

    @Test("a batch held past the inline limit still reaches the reader whole, in order")
    func largeBatch() throws {
        let pipe = try Pipe()
        let sink = FileDescriptorSink(descriptor: pipe.write)
        let lines = (0..<100).map { #"{"id":\#($0),"pad":""# + String(repeating: "x", count: 100) + #""}"# }
        sink.batch {
            for line in lines { sink.send(Array(line.utf8)) }
        }
        sink.flush()
        #expect(pipe.available() == lines.map { $0 + "\n" }.joined())
    }
}
