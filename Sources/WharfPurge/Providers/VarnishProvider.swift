import Foundation
import NIOHTTP1

/// Varnish servers running `edge-rules/varnish/wharf.vcl`: `PURGE <url>` (all Vary variants,
/// hard or soft through vmod_purge), `PURGE /` with `X-Wharf-Tags` (vmod xkey, hard or soft),
/// `BAN /` with `X-Wharf-Ban-Regex` (a path prefix; lurker-friendly) or `X-Wharf-Ban-All`.
/// Every request carries the shared secret the VCL checks. A purge is delivered when every
/// server answered 200.
public struct VarnishProvider: PurgeProvider {
    public let name: String
    /// Base URLs of the Varnish servers (`http://10.0.0.5:6081`).
    public let endpoints: [String]
    public let secret: String
    /// The `Host` the site is cached under; nil: the host of an absolute purge URL, else the endpoint's.
    public let host: String?
    /// Requests in flight per server.
    public let concurrency: Int
    /// Tags per `X-Wharf-Tags` header are packed up to this many bytes (Varnish's default
    /// `http_req_hdr_len` is 8 KiB).
    public let maxTagHeaderBytes: Int

    public init(name: String, endpoints: [String], secret: String, host: String? = nil, concurrency: Int = 8,
                maxTagHeaderBytes: Int = 6000) {
        self.name = name
        self.endpoints = endpoints.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.secret = secret
        self.host = host
        self.concurrency = concurrency
        self.maxTagHeaderBytes = maxTagHeaderBytes
    }

    /// One request to every server.
    struct Call: Sendable, Equatable {
        let method: String
        let target: String
        let host: String?
        let headers: [(String, String)]
        static func == (a: Call, b: Call) -> Bool {
            a.method == b.method && a.target == b.target && a.host == b.host
                && a.headers.map { "\($0.0): \($0.1)" } == b.headers.map { "\($0.0): \($0.1)" }
        }
    }

    /// The calls one purge turns into (the same for every server).
    func calls(for request: PurgeRequest) -> [Call] {
        var out: [Call] = []
        let soft: [(String, String)] = request.soft ? [("X-Wharf-Soft", "1")] : []
        for url in request.urls {
            let (urlHost, target) = originForm(url)
            out.append(Call(method: "PURGE", target: percentEncodeNonASCII(target), host: host ?? urlHost, headers: soft))
        }
        var tags = request.tags
        if request.all && request.soft { tags.append("/") }
        for batch in packTags(tags, maxBytes: maxTagHeaderBytes) {
            out.append(Call(method: "PURGE", target: "/", host: host, headers: [("X-Wharf-Tags", batch)] + soft))
        }
        for prefix in request.prefixes {
            out.append(Call(method: "BAN", target: "/", host: host,
                            headers: [("X-Wharf-Ban-Regex", "^" + regexEscape(percentEncodeNonASCII(prefix)))]))
        }
        if request.all && !request.soft {
            out.append(Call(method: "BAN", target: "/", host: host, headers: [("X-Wharf-Ban-All", "1")]))
        }
        return out
    }

    public func deliver(_ request: PurgeRequest, context: DeliveryContext) async throws(DeliveryError) -> String {
        let calls = calls(for: request)
        let secret = self.secret
        let counter = PurgedCounter()
        for endpoint in endpoints {
            let endpointHost = originForm(endpoint).host
            try await forEachConcurrently(calls, width: concurrency) { (call: Call) throws(DeliveryError) in
                var headers = [("X-Wharf-Purge-Secret", secret)] + call.headers
                if let host = call.host ?? endpointHost { headers.append(("Host", host)) }
                let what = "\(call.method) \(call.target) on \(endpoint)"
                let response = try await context.send(HTTPMethod(rawValue: call.method), endpoint + call.target,
                                                      headers: headers, what: what)
                guard response.status == 200 else {
                    throw DeliveryError.from(status: response.status, body: response.body, what: what)
                }
                counter.add(response.body)
            }
        }
        return "\(calls.count) request(s) to \(endpoints.count) varnish server(s), \(counter.total) object(s) purged"
    }
}

/// Sums the `purged N` counts the VCL answers with.
final class PurgedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var sum = 0
    func add(_ body: String) {
        guard let r = body.range(of: "purged ") else { return }
        let digits = body[r.upperBound...].prefix { $0.isNumber }
        lock.lock()
        sum += Int(digits) ?? 0
        lock.unlock()
    }
    var total: Int {
        lock.lock()
        defer { lock.unlock() }
        return sum
    }
}

/// Joins tags with spaces into headers of at most `maxBytes` each.
func packTags(_ tags: [String], maxBytes: Int) -> [String] {
    var out: [String] = []
    var current = ""
    for tag in tags {
        if !current.isEmpty, current.utf8.count + 1 + tag.utf8.count > maxBytes {
            out.append(current)
            current = ""
        }
        current += current.isEmpty ? tag : " " + tag
    }
    if !current.isEmpty { out.append(current) }
    return out
}

/// Escapes POSIX/PCRE metacharacters so that `text` matches itself.
func regexEscape(_ text: String) -> String {
    var out = ""
    for c in text.unicodeScalars {
        if "\\^$.|?*+()[]{}".unicodeScalars.contains(c) { out.append("\\") }
        out.unicodeScalars.append(c)
    }
    return out
}

/// Percent-encodes bytes that may not appear raw in a request-target (non-ASCII, controls,
/// space), leaving existing escapes alone: the edge keys objects by the raw target.
func percentEncodeNonASCII(_ text: String) -> String {
    var out = ""
    for b in text.utf8 {
        if b > 0x20 && b < 0x7F {
            out.unicodeScalars.append(Unicode.Scalar(b))
        } else {
            out += "%" + String(b >> 4, radix: 16, uppercase: true) + String(b & 0xF, radix: 16, uppercase: true)
        }
    }
    return out
}
