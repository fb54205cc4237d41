import Foundation
import MuxgateAudit
import MuxgateChildren
import MuxgateConfig
import MuxgatePolicy
import MuxgateWire
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The loopback listener `muxgate login` sends the browser back to (`http://127.0.0.1:PORT/callback`):
/// it takes the one redirect the authorization server makes, answers the browser with a short page,
/// and hands the query parameters over. Built on SwiftNIO's HTTP server pipeline.
package final class OAuthCallbackListener: Sendable {
    package let port: Int
    private let channel: any Channel
    private struct Waiting {
        package var result: [String: String]?
        package var continuation: CheckedContinuation<[String: String]?, Never>?
    }

    private let waiting = Mutex(Waiting())

    private init(channel: any Channel, port: Int) {
        self.channel = channel
        self.port = port
    }

    /// Listens on 127.0.0.1:`port` (0: a port the system picks).
    package static func bind(port: Int) async throws -> OAuthCallbackListener {
        let box = CallbackBox()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(CallbackHandler(box: box))
                }
            }
            .bind(host: "127.0.0.1", port: port)
            .get()
        let bound = channel.localAddress?.port ?? port
        let listener = OAuthCallbackListener(channel: channel, port: bound)
        box.listener.withLock { $0 = listener }
        return listener
    }

    /// The callback's query parameters; nil after `timeout`.
    package func callback(timeout: Duration) async -> [String: String]? {
        let result = try? await withTimeout(timeout) { [self] in
            await withCheckedContinuation { (continuation: CheckedContinuation<[String: String]?, Never>) in
                let ready = waiting.withLock { state -> [String: String]?? in
                    if let result = state.result { return .some(result) }
                    state.continuation = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
        return result ?? nil
    }

    fileprivate func deliver(_ parameters: [String: String]) {
        let continuation = waiting.withLock { state -> CheckedContinuation<[String: String]?, Never>? in
            guard state.result == nil else { return nil }
            state.result = parameters
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(returning: parameters)
    }

    package func close() async {
        try? await channel.close()
    }
}

/// Shared between the listener and its connections' handlers.
private final class CallbackBox: Sendable {
    package let listener = Mutex<OAuthCallbackListener?>(nil)
}

/// Answers one request: `/callback?…` hands its parameters over; anything else is a 404.
private final class CallbackHandler: ChannelInboundHandler, Sendable {
    package typealias InboundIn = HTTPServerRequestPart
    package typealias OutboundOut = HTTPServerResponsePart

    package let box: CallbackBox

    package init(box: CallbackBox) { self.box = box }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let head) = unwrapInboundIn(data) else { return }
        let (path, query) = Self.split(head.uri)
        let status: HTTPResponseStatus
        let page: String
        if path == "/callback" {
            let parameters = Self.parameters(query)
            let failed = parameters["error"] != nil
            status = .ok
            page =
                failed
                ? "muxgate: the authorization server refused the login. Return to the terminal to see why."
                : "muxgate: login complete. You can close this tab and return to the terminal."
            box.listener.withLock { $0 }?.deliver(parameters)
        } else {
            status = .notFound
            page = "muxgate: this address only takes the login callback."
        }
        let body = "<!doctype html><meta charset=utf-8><title>muxgate</title><p>\(page)</p>\n"
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/html; charset=utf-8")
        headers.add(name: "Content-Length", value: "\(body.utf8.count)")
        headers.add(name: "Connection", value: "close")
        headers.add(name: "Cache-Control", value: "no-store")
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
            promise: nil
        )
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }

    package static func split(_ uri: String) -> (path: String, query: String) {
        guard let mark = uri.firstIndex(of: "?") else { return (uri, "") }
        return (String(uri[..<mark]), String(uri[uri.index(after: mark)...]))
    }

    /// `a=1&b=x%20y` → ["a": "1", "b": "x y"] (`+` is a space in a query).
    package static func parameters(_ query: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
            }
            if let name = parts.first { out[name] = parts.count > 1 ? parts[1] : "" }
        }
        return out
    }
}
