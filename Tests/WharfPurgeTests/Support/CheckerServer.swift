import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing
@testable import WharfPurge

/// A CDN purge API as its documentation describes it: checks each request against the documented
/// shape and answers as documented. The live CDNs cannot be reached from the test machines, so
/// this is the oracle, and the README says plainly that no provider was verified live.
protocol DocumentedAPI: Sendable {
    /// The answer to a request, and what is wrong with the request's shape (empty when nothing).
    /// A request with problems is answered 400 whatever `answer` says.
    func answer(_ request: CheckerServer.Request) -> (CheckerServer.Response, problems: [String])
}

/// An HTTP/1.1 server on 127.0.0.1 (an ephemeral port) that hands every request to a
/// ``DocumentedAPI``, records requests and shape violations, and can be told to answer the next
/// well-formed requests with scripted responses (429, 5xx) instead.
final class CheckerServer: @unchecked Sendable {
    struct Request: Sendable {
        let method: String
        /// The request-target as received.
        let uri: String
        let headers: HTTPHeaders
        let body: [UInt8]
        /// Seconds since the server started (monotonic), when the request was complete.
        let at: Double

        var path: String { String(uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]) }
        func header(_ name: String) -> String? { headers.first(name: name) }
        /// The body parsed as a JSON object, or nil.
        var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
        }
    }

    struct Response: Sendable {
        var status: Int
        var headers: [(String, String)] = []
        var body: String = ""

        static func json(_ status: Int, _ body: String, headers: [(String, String)] = []) -> Response {
            Response(status: status, headers: [("Content-Type", "application/json")] + headers, body: body)
        }
    }

    let api: any DocumentedAPI
    private let lock = NSLock()
    private var recorded: [Request] = []
    private var problems: [String] = []
    private var script: [Response] = []
    private let started = ContinuousClock.now
    private var channel: (any Channel)?
    private(set) var port = 0

    /// `http://127.0.0.1:<port>`.
    var base: String { "http://127.0.0.1:\(port)" }
    var requests: [Request] { lock.withLock { recorded } }
    var violations: [String] { lock.withLock { problems } }

    private init(api: any DocumentedAPI) {
        self.api = api
    }

    static func start(_ api: any DocumentedAPI) async throws -> CheckerServer {
        let server = CheckerServer(api: api)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(CheckerHandler(server: server))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        server.channel = channel
        server.port = channel.localAddress?.port ?? 0
        return server
    }

    func stop() async {
        try? await channel?.close()
    }

    /// Answers the next well-formed requests with `responses`, in order.
    func enqueue(_ responses: Response...) {
        lock.withLock { script += responses }
    }

    fileprivate func handle(method: String, uri: String, headers: HTTPHeaders, body: [UInt8]) -> Response {
        let d = ContinuousClock.now - started
        let request = Request(method: method, uri: uri, headers: headers, body: body,
                              at: Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
        let (answer, found) = api.answer(request)
        return lock.withLock {
            recorded.append(request)
            if !found.isEmpty {
                problems += found.map { "\(method) \(uri.prefix(120)): \($0)" }
                return .json(400, #"{"checker":"request does not match the documented shape"}"#)
            }
            // Scripted faults replace only answers the documented API would have given as success.
            if (200..<300).contains(answer.status), !script.isEmpty { return script.removeFirst() }
            return answer
        }
    }
}

/// Collects one request and writes the server's answer.
private final class CheckerHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let server: CheckerServer
    var head: HTTPRequestHead?
    var body: [UInt8] = []

    init(server: CheckerServer) {
        self.server = server
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body = []
        case .body(var buffer):
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            guard let head else { return }
            self.head = nil
            let response = server.handle(method: head.method.rawValue, uri: head.uri, headers: head.headers, body: body)
            var headers = HTTPHeaders(response.headers)
            headers.replaceOrAdd(name: "Content-Length", value: String(response.body.utf8.count))
            let status = HTTPResponseStatus(statusCode: response.status)
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: response.body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}

/// Runs `body` against a checker serving `api`, with a delivery context on a fresh HTTP client
/// (its `expand` must not be called: these providers purge by tag).
func withChecker<T>(_ api: any DocumentedAPI, _ body: (CheckerServer, DeliveryContext) async throws -> T) async throws -> T {
    let server = try await CheckerServer.start(api)
    let http = HTTPClient(eventLoopGroupProvider: .singleton)
    let context = DeliveryContext(http: http, timeout: .seconds(10)) { _, _, _ in
        Issue.record("expand called by a provider that purges by tag")
        return []
    }
    do {
        let result = try await body(server, context)
        try await http.shutdown()
        await server.stop()
        return result
    } catch {
        try? await http.shutdown()
        await server.stop()
        throw error
    }
}

/// The error a delivery threw, or nil when it succeeded.
func deliveryError(_ work: () async throws(DeliveryError) -> String) async -> DeliveryError? {
    do {
        _ = try await work()
        return nil
    } catch {
        return error
    }
}
