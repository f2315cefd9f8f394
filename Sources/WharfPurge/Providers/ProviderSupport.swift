import Foundation
import NIOHTTP1
import WharfAssets
import WharfHTTP

// Small pieces the CDN API providers (Fastly, Cloudflare, Akamai) share.

/// The delay a `Retry-After` field asks for, in seconds: delta-seconds or an HTTP-date.
func retryAfter(_ headers: HTTPHeaders, now: Date = Date()) -> Double? {
    guard let value = headers.first(name: "Retry-After")?.trimmingCharacters(in: .whitespaces), !value.isEmpty else {
        return nil
    }
    if let seconds = Double(value), seconds.isFinite { return max(0, seconds) }
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "GMT")
    formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
    guard let date = formatter.date(from: value) else { return nil }
    return max(0, date.timeIntervalSince(now))
}

/// The surrogate tag of a directory prefix (`/img/`): the origin tags every response with each
/// of its directory prefixes, so purging that tag purges the prefix on CDNs without prefix purge.
/// Nil when `prefix` does not end in `/`.
func directoryTag(_ prefix: String) -> String? {
    guard prefix.hasByteSuffix("/") else { return nil }
    // Tags are made from decoded paths (see SurrogateTags.forPath).
    return SurrogateTags.tag(for: prefix.removingPercentEncoding ?? prefix)
}

/// `{"<key>":["a","b",…]}`, built by hand so that its size is known exactly while batching.
func jsonArrayBody(_ key: String, _ items: [String]) -> [UInt8] {
    Array("{\(JSONText.quote(key)):[\(items.map(JSONText.quote).joined(separator: ","))]}".utf8)
}

/// `items` in consecutive runs of at most `size`.
func chunked<T>(_ items: [T], size: Int) -> [[T]] {
    stride(from: 0, to: items.count, by: max(1, size)).map { Array(items[$0..<min($0 + max(1, size), items.count)]) }
}

/// `list` without repeats, in first-seen order.
func uniqued(_ list: [String]) -> [String] {
    var seen = Set<String>()
    return list.filter { seen.insert($0).inserted }
}
