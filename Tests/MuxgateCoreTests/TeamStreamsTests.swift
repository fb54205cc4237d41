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

/// Team mode's streams: which stream a message joins, event ids, and resuming after a lost stream.
@Suite("Team streams")
struct TeamStreamsTests {
    static let request = Array("7".utf8)

    /// What a stream holds now (it must have been finished, or hold `count` events).
    static func drain(_ stream: AsyncStream<TeamStreams.Event>, count: Int? = nil) async -> [TeamStreams.Event] {
        var events: [TeamStreams.Event] = []
        for await event in stream {
            events.append(event)
            if events.count == count { break }
        }
        return events
    }

    @Test("a call's progress and answer go to its exchange with ids; anything else to the standalone stream")
    func routing() async throws {
        let streams = TeamStreams()
        let opened = try #require(streams.openExchange(Self.request))
        #expect(streams.openExchange(Self.request) == nil, "a duplicate id is refused")
        streams.send(Array("progress".utf8), relatedTo: Self.request)
        streams.send(Array("list_changed".utf8))
        streams.send(answer: Array("answer".utf8), to: Self.request)
        let events = await Self.drain(opened.stream)
        let first = TeamStreams.eventID(exchange: opened.exchange, seq: 1)
        let second = TeamStreams.eventID(exchange: opened.exchange, seq: 2)
        #expect(
            events == [
                .message(id: first, line: Array("progress".utf8)), .answer(id: second, line: Array("answer".utf8)),
            ]
        )
        #expect(!streams.hasOpenExchanges)
        let standalone = try #require(streams.openStandalone(after: nil))
        #expect(await Self.drain(standalone.stream, count: 1) == [.message(id: "1", line: Array("list_changed".utf8))])
    }

    @Test("a detached exchange keeps its events: a resume gets what came after its id, then the answer")
    func resume() async throws {
        let streams = TeamStreams()
        let opened = try #require(streams.openExchange(Self.request))
        streams.send(Array("p1".utf8), relatedTo: Self.request)
        // The client went away after reading p1; p2 and the answer come while nobody listens.
        streams.detach(exchange: opened.exchange, listener: opened.listener)
        streams.send(Array("p2".utf8), relatedTo: Self.request)
        #expect(streams.hasOpenExchanges, "a detached call still counts (its session is not idle)")
        let resumed = try #require(streams.resume(after: TeamStreams.eventID(exchange: opened.exchange, seq: 1)))
        #expect(resumed.exchange == opened.exchange)
        streams.send(answer: Array("done".utf8), to: Self.request)
        let events = await Self.drain(resumed.stream)
        #expect(events.count == 2 && events.last == .answer(id: "r1.3", line: Array("done".utf8)), "\(events)")
        // Answered, it is kept for a client whose stream broke before it read the answer.
        let again = try #require(streams.resume(after: "r1.0"))
        #expect(await Self.drain(again.stream).count == 3)
        #expect(streams.resume(after: "r9.1") == nil && streams.resume(after: "garbage") == nil)
    }

    @Test("a resume ends the stream the client lost; expire asks only the current listener to close")
    func replacedListener() async throws {
        let streams = TeamStreams()
        let opened = try #require(streams.openExchange(Self.request))
        let resumed = try #require(streams.resume(after: "r1.0"))
        #expect(await Self.drain(opened.stream).isEmpty, "the old listener ended")
        streams.expire(exchange: opened.exchange, listener: opened.listener)
        streams.expire(exchange: opened.exchange, listener: resumed.listener)
        #expect(await Self.drain(resumed.stream, count: 1) == [.close])
    }

    @Test("kept answers are bounded in bytes too, and one answered as JSON is not kept at all")
    func byteBounds() throws {
        let streams = TeamStreams()
        let big = [UInt8](repeating: 0x61, count: TeamStreams.answeredBytes / 2 + 1)
        for index in 0..<3 {
            let id = Array("\(index)".utf8)
            _ = try #require(streams.openExchange(id))
            streams.send(answer: big, to: id)
        }
        #expect(streams.resume(after: "r1.0") == nil && streams.resume(after: "r2.0") == nil)
        #expect(streams.resume(after: "r3.0") != nil, "the newest is kept whatever its size")
        let opened = try #require(streams.openExchange(Array("j".utf8)))
        streams.send(answer: Array("{}".utf8), to: Array("j".utf8))
        streams.forget(exchange: opened.exchange)
        #expect(streams.resume(after: TeamStreams.eventID(exchange: opened.exchange, seq: 0)) == nil)
    }

    @Test("only the last answered exchanges are kept; a closed session resumes nothing")
    func bounds() throws {
        let streams = TeamStreams()
        for index in 0..<(TeamStreams.answeredCapacity + 1) {
            let id = Array("\(index)".utf8)
            _ = try #require(streams.openExchange(id))
            streams.send(answer: Array("a".utf8), to: id)
        }
        #expect(streams.resume(after: "r1.0") == nil, "the oldest answered exchange is gone")
        #expect(streams.resume(after: "r2.0") != nil)
        streams.close()
        #expect(streams.resume(after: "r2.0") == nil && streams.openStandalone(after: nil) == nil)
    }
}
