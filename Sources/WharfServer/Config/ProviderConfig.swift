import Foundation
import TOMLKit
import WharfPurge

/// `[[purge.providers]]` tables: one CDN or edge cache each, by `type`.
///
/// ```toml
/// [[purge.providers]]
/// type = "varnish"                      # varnish | nginx
/// name = "varnish-eu"                   # optional; default: the type (names must be unique)
/// endpoints = ["http://10.0.0.5:6081"]  # every server gets every purge
/// secret = "…"                          # the X-Wharf-Purge-Secret the edge checks (≥ 16 bytes)
/// host = "www.example.com"              # optional: the Host the site is cached under
/// concurrency = 8                       # optional: requests in flight per server
/// ```
enum ProviderConfig {
    static let types = ["varnish", "nginx"]

    static func parse(_ value: any TOMLValueConvertible) throws(ConfigError) -> [any PurgeProvider] {
        guard let array = value.array else {
            throw ConfigError(key: "purge.providers", problem: "expected an array of tables ([[purge.providers]])")
        }
        var providers: [any PurgeProvider] = []
        var names = Set<String>()
        for (i, element) in array.enumerated() {
            let at = "purge.providers[\(i)]"
            guard let t = element.table else { throw ConfigError(key: at, problem: "expected a table") }
            guard let type = t["type"]?.string else { throw ConfigError(key: "\(at).type", problem: "missing (one of \(types.joined(separator: ", ")))") }
            guard types.contains(type) else {
                throw ConfigError(key: "\(at).type", problem: "unknown provider \"\(type)\" (known: \(types.joined(separator: ", ")))")
            }
            let fields = Fields(table: t, at: at)
            let name = try fields.string("name") ?? type
            guard !name.isEmpty, name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw ConfigError(key: "\(at).name", problem: "must be printable ASCII without spaces")
            }
            guard names.insert(name).inserted else {
                throw ConfigError(key: "\(at).name", problem: "\"\(name)\" is used by another provider; give each a name")
            }
            let endpoints = try fields.urls("endpoints")
            let secret = try fields.secret("secret")
            let host = try fields.string("host")
            let concurrency = try fields.int("concurrency", 1...256) ?? 8
            try fields.rejectUnknown(["type", "name", "endpoints", "secret", "host", "concurrency"])
            switch type {
            case "varnish":
                providers.append(VarnishProvider(name: name, endpoints: endpoints, secret: secret, host: host, concurrency: concurrency))
            default:
                providers.append(NginxProvider(name: name, endpoints: endpoints, secret: secret, host: host, concurrency: concurrency))
            }
        }
        return providers
    }

    /// Typed access to one provider table, with errors naming `at.key`.
    struct Fields {
        let table: TOMLTable
        let at: String

        func string(_ key: String) throws(ConfigError) -> String? {
            guard let v = table[key] else { return nil }
            guard let s = v.string else { throw ConfigError(key: "\(at).\(key)", problem: "expected a string") }
            return s
        }

        func int(_ key: String, _ range: ClosedRange<Int>) throws(ConfigError) -> Int? {
            guard let v = table[key] else { return nil }
            guard let i = v.int, range.contains(i) else {
                throw ConfigError(key: "\(at).\(key)", problem: "expected an integer between \(range.lowerBound) and \(range.upperBound)")
            }
            return i
        }

        /// A secret: inline, or `<key>_env` naming an environment variable that holds it.
        func secret(_ key: String) throws(ConfigError) -> String {
            var value = try string(key)
            if let env = try string(key + "_env") {
                guard let s = ProcessInfo.processInfo.environment[env], !s.isEmpty else {
                    throw ConfigError(key: "\(at).\(key)_env", problem: "environment variable \(env) is not set")
                }
                value = s
            }
            guard let value else { throw ConfigError(key: "\(at).\(key)", problem: "missing (or set \(key)_env)") }
            guard value.utf8.count >= 16 else { throw ConfigError(key: "\(at).\(key)", problem: "shorter than 16 bytes") }
            guard !value.contains(where: { $0 == "\r" || $0 == "\n" }) else {
                throw ConfigError(key: "\(at).\(key)", problem: "must not contain line breaks")
            }
            return value
        }

        /// A non-empty array of http(s) base URLs.
        func urls(_ key: String) throws(ConfigError) -> [String] {
            guard let array = table[key]?.array, !array.isEmpty else {
                throw ConfigError(key: "\(at).\(key)", problem: "expected a non-empty array of URLs")
            }
            var out: [String] = []
            for element in array {
                guard let s = element.string, let u = URLComponents(string: s), let scheme = u.scheme?.lowercased(),
                      scheme == "http" || scheme == "https", u.host?.isEmpty == false, u.query == nil else {
                    throw ConfigError(key: "\(at).\(key)", problem: "expected http(s)://host[:port] URLs, got \(element)")
                }
                out.append(s)
            }
            return out
        }

        func rejectUnknown(_ known: Set<String>) throws(ConfigError) {
            for key in table.keys.sorted() where !known.contains(key) && !(key.hasSuffix("_env") && known.contains(String(key.dropLast(4)))) {
                throw ConfigError(key: "\(at).\(key)", problem: "unknown key")
            }
        }
    }
}
