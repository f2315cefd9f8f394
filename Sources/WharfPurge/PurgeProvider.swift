import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import WharfHTTP

/// A CDN (or edge cache) that purges can be delivered to.
///
/// A provider turns a ``PurgeRequest`` into its own API calls, batched and paced within its
/// limits, and either returns a short confirmation or throws a ``DeliveryError`` saying whether
/// trying again may help. Deliveries are at-least-once: a retried purge repeats every call.
public protocol PurgeProvider: Sendable {
    /// The name deliveries are recorded under (unique among providers).
    var name: String { get }
    /// Whether tags, prefixes and `all` must be expanded to the URLs the origin has served (the
    /// origin then records them).
    var needsServedURLs: Bool { get }
    /// Delivers one purge; `expand` gives the served URLs that tags/prefixes/all cover.
    func deliver(_ request: PurgeRequest, context: DeliveryContext) async throws(DeliveryError) -> String
}

extension PurgeProvider {
    public var needsServedURLs: Bool { false }
}

/// What a provider gets to deliver with.
public struct DeliveryContext: Sendable {
    public let http: HTTPClient
    /// Per-request timeout.
    public let timeout: TimeAmount
    /// Served URLs (origin-form) covered by tags, decoded-path prefixes or `all`.
    public let expand: @Sendable (_ tags: [String], _ prefixes: [String], _ all: Bool) async throws -> [String]

    public init(http: HTTPClient, timeout: TimeAmount,
                expand: @escaping @Sendable (_ tags: [String], _ prefixes: [String], _ all: Bool) async throws -> [String]) {
        self.http = http
        self.timeout = timeout
        self.expand = expand
    }
}

/// A failed delivery attempt.
public struct DeliveryError: Error, Sendable, CustomStringConvertible {
    /// False when retrying cannot help (the provider refused the request as such).
    public let retryable: Bool
    public let message: String
    /// A delay the provider asked for (429 Retry-After), in seconds.
    public let retryAfter: Double?

    public init(retryable: Bool, _ message: String, retryAfter: Double? = nil) {
        self.retryable = retryable
        self.message = message
        self.retryAfter = retryAfter
    }

    public var description: String { message }

    /// Classifies an HTTP answer: 408, 429 and 5xx are worth retrying, other 4xx are not.
    static func from(status: Int, body: String, what: String, retryAfter: Double? = nil) -> DeliveryError {
        let retryable = status == 408 || status == 429 || status >= 500
        let snippet = body.count > 300 ? String(body.prefix(300)) + "…" : body
        return DeliveryError(retryable: retryable, "\(what): HTTP \(status) \(snippet)".trimmingCharacters(in: .whitespacesAndNewlines),
                             retryAfter: retryAfter)
    }
}

/// One HTTP exchange for a provider: the answer's status, headers and (bounded) body.
struct ProviderResponse: Sendable {
    let status: Int
    let headers: HTTPHeaders
    let body: String
}

extension DeliveryContext {
    /// Sends a request and reads up to 64 KiB of the answer; transport failures are retryable.
    func send(_ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
              what: String) async throws(DeliveryError) -> ProviderResponse {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.body = .bytes(ByteBuffer(bytes: body))
            request.headers.replaceOrAdd(name: "Content-Length", value: String(body.count))
        }
        do {
            let response = try await http.execute(request, timeout: timeout)
            let bytes = try await response.body.collect(upTo: 64 * 1024)
            return ProviderResponse(status: Int(response.status.code), headers: response.headers,
                                    body: String(buffer: bytes))
        } catch {
            throw DeliveryError(retryable: true, "\(what): \(Self.describe(error))")
        }
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? HTTPClientError { return "\(e)" }
        return String(describing: error)
    }
}

/// Runs `work` over `items` with at most `width` in flight, stopping at the first error.
func forEachConcurrently<T: Sendable>(_ items: [T], width: Int,
                                      _ work: @escaping @Sendable (T) async throws(DeliveryError) -> Void) async throws(DeliveryError) {
    do {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var iterator = items.makeIterator()
            var running = 0
            while running < width, let item = iterator.next() {
                group.addTask { try await work(item) }
                running += 1
            }
            while try await group.next() != nil {
                if let item = iterator.next() { group.addTask { try await work(item) } }
            }
        }
    } catch let error as DeliveryError {
        throw error
    } catch {
        throw DeliveryError(retryable: true, String(describing: error))
    }
}

/// Splits a URL into the origin-form target (`/path?query`) and its host, if absolute.
func originForm(_ url: String) -> (host: String?, target: String) {
    guard !url.hasBytePrefix("/") else { return (nil, url) }
    guard let schemeEnd = url.range(of: "://") else { return (nil, url) }
    let rest = url[schemeEnd.upperBound...]
    guard let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return (String(rest), "/") }
    let target = String(rest[slash...])
    return (String(rest[..<slash]), target.hasPrefix("?") ? "/" + target : target)
}
