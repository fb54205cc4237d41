import AsyncHTTPClient
import Foundation
import Logging
import MuxgateAudit
import MuxgateChildren
import MuxgateConfig
import MuxgatePolicy
import MuxgateWire
import NIOCore
import NIOHTTP1
import Synchronization

/// The streams the server opens: the GET stream of Streamable HTTP and the one stream of the
/// 2024-11-05 HTTP+SSE transport.
extension HTTPSession {
    /// The GET stream for what the server sends outside any request, once the session is up (not
    /// for HTTP+SSE, whose one stream is already open, nor 2026-07-28, which has none); the
    /// server may offer none (405) or have one open already (409).
    package func runGetStream() async {
        guard !transport.modern, state.withLock({ $0.legacyEndpoint == nil && !$0.getStreamOpen }) else { return }
        state.withLock { $0.getStreamOpen = true }
        var stream = EventStream(requestID: nil, maximum: link.maxMessageBytes)
        var failures = 0
        while !ended && !Task.isCancelled {
            let sessionAtOpen = state.withLock { $0.sessionID }
            do {
                var request = HTTPClientRequest(url: transport.url.text)
                request.method = .GET
                request.headers = try await headers(for: nil, accept: "text/event-stream")
                if let last = stream.parser.lastEventID { request.headers.add(name: "Last-Event-ID", value: last) }
                let response = try await client.execute(request, deadline: .now() + .seconds(30))
                switch response.status.code {
                case 200:
                    failures = 0
                    try await read(response.body, into: &stream)
                case 404 where sessionAtOpen != nil:
                    _ = try? await response.body.collect(upTo: 64 << 10)
                    if !(await reinitialize(replacing: sessionAtOpen)) { return }
                    continue
                default:
                    // 405: the server offers no such stream; 409: it has one open already.
                    _ = try? await response.body.collect(upTo: 64 << 10)
                    link.logger.debug("no GET stream: HTTP \(response.status.code)")
                    return
                }
            } catch {
                if ended || Task.isCancelled { return }
                failures += 1
                if failures > 5 { return }
            }
            let delay = state.withLock { $0.retry }
            try? await Task.sleep(for: delay * max(1, failures))
        }
    }

    /// HTTP+SSE (2024-11-05): the GET stream whose first event names the endpoint to POST to;
    /// everything the server sends arrives on it. False when it could not be opened (ended).
    package func openLegacy(group: inout DiscardingTaskGroup) async -> Bool {
        let found = Latch()
        let failure = Locked<String?>(nil)
        group.addTask {
            await self.runLegacyStream(found: found, failure: failure)
        }
        let connect = transport.remote.connectTimeout?.duration ?? RemoteServerConfig.defaultConnectTimeout
        _ = try? await withTimeout(connect + .seconds(5)) { await found.wait() }
        if state.withLock({ $0.legacyEndpoint != nil }) { return true }
        end(failure.withLock { $0 } ?? "the SSE stream named no endpoint within \(connect.seconds)s")
        return false
    }

    private func runLegacyStream(found: Latch, failure: Locked<String?>) async {
        defer { found.fire() }
        do {
            var request = HTTPClientRequest(url: transport.url.text)
            request.method = .GET
            request.headers = try await headers(for: nil, accept: "text/event-stream")
            let response = try await client.execute(request, deadline: .now() + .seconds(30))
            guard response.status.code == 200,
                response.headers["content-type"].first?.lowercased().hasPrefix("text/event-stream") == true
            else {
                _ = try? await response.body.collect(upTo: 64 << 10)
                failure.withLock {
                    $0 = "neither Streamable HTTP nor HTTP+SSE: GET answered HTTP \(response.status.code)"
                }
                return
            }
            var parser = SSEParser(maximumEventBytes: link.maxMessageBytes)
            for try await chunk in response.body {
                var outputs: [SSEParser.Output] = []
                chunk.withUnsafeReadableBytes { bytes in parser.push(bytes) { outputs.append($0) } }
                for output in outputs {
                    switch output {
                    case .event(let event) where event.type == "endpoint":
                        let reference = String(decoding: event.data, as: UTF8.self).trimmingCharacters(in: .whitespaces)
                        guard let endpoint = transport.url.resolving(reference) else {
                            failure.withLock {
                                $0 = "the SSE endpoint '\(reference)' is not on \(transport.url.origin)"
                            }
                            return
                        }
                        state.withLock { $0.legacyEndpoint = endpoint }
                        found.fire()
                    case .event(let event) where event.type == "message":
                        deliver(event.data)
                    case .oversized(let bytes):
                        link.oversized(bytes)
                    default:
                        break
                    }
                }
            }
            if !ended { end("the server closed its SSE stream") }
        } catch {
            if ended || Task.isCancelled { return }
            let reason = "cannot reach \(transport.url.origin): \(Self.describe(error))"
            failure.withLock { $0 = reason }
            end(reason)
        }
    }
}
