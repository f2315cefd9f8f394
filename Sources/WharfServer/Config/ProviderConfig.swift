import Foundation
import TOMLKit
import WharfPurge

/// `[[purge.providers]]` tables: one CDN or edge cache each, by `type`. Every secret can be
/// given inline (`key = "…"`) or as `key_env = "VAR"`, naming an environment variable.
///
/// ```toml
/// [[purge.providers]]
/// type = "varnish"                      # varnish | nginx
/// name = "varnish-eu"                   # optional; default: the type (names must be unique)
/// endpoints = ["http://10.0.0.5:6081"]  # every server gets every purge
/// secret = "…"                          # the X-Wharf-Purge-Secret the edge checks (≥ 16 bytes)
/// host = "www.example.com"              # optional: the Host the site is cached under
/// concurrency = 8                       # optional: requests in flight per server
///
/// [[purge.providers]]
/// type = "fastly"
/// service_id = "SU1Z0isxPaozGVKXdv0eY"
/// api_token_env = "FASTLY_API_TOKEN"    # or api_token = "…"
/// base_url = "https://www.example.com"  # optional: the site, for origin-form purge URLs
/// rate_per_second = 10                  # optional: API calls a second
/// api = "https://api.fastly.com"        # optional
///
/// [[purge.providers]]
/// type = "cloudflare"
/// zone_id = "023e105f4ecef8ad9ca31a8372d0c353"
/// api_token_env = "CLOUDFLARE_API_TOKEN"
/// base_url = "https://www.example.com"  # optional: for origin-form URLs and prefixes
/// max_items_per_call = 100              # optional (Enterprise: 500 for URLs)
/// rate_per_second = 5                   # optional: the plan's request rate (Free: 0.083)
/// burst = 25                            # optional: the plan's bucket size
/// api = "https://api.cloudflare.com/client/v4"  # optional
///
/// [[purge.providers]]
/// type = "akamai"
/// host = "akab-xxxxxxxxxxxxxxxx-xxxxxxxxxxxxxxxx.purge.akamaiapis.net"   # the EdgeGrid API host
/// client_token = "akab-…"
/// client_secret_env = "AKAMAI_CLIENT_SECRET"
/// access_token = "akab-…"
/// network = "production"                # optional: production | staging
/// base_url = "https://www.example.com"  # optional: for origin-form purge URLs
/// rate_per_second = 50                  # optional, with burst = 100
/// api = "https://akab-….purge.akamaiapis.net"  # optional: default https://{host}
/// ```
///
/// Every provider also takes `concurrency` (API calls or edge requests in flight).
enum ProviderConfig {
    static let types = ["varnish", "nginx", "fastly", "cloudflare", "akamai"]
    /// What a Varnish or nginx purge secret may contain: base64 and URL-safe characters.
    static let edgeSecretCharacters = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~+/=-")

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
            switch type {
            case "fastly": providers.append(try fastly(fields, name: name))
            case "cloudflare": providers.append(try cloudflare(fields, name: name))
            case "akamai": providers.append(try akamai(fields, name: name))
            default:
                let endpoints = try fields.urls("endpoints")
                let secret = try fields.secret("secret")
                // The edge rules compare it inside a VCL or nginx string literal.
                guard secret.unicodeScalars.allSatisfy(Self.edgeSecretCharacters.contains) else {
                    throw ConfigError(key: "\(at).secret", problem: "use only A-Z a-z 0-9 . _ ~ + / = - (the edge rules quote it)")
                }
                let host = try fields.string("host")
                let concurrency = try fields.int("concurrency", 1...256) ?? 8
                try fields.rejectUnknown(["type", "name", "endpoints", "secret", "host", "concurrency"], secrets: ["secret"])
                if type == "varnish" {
                    providers.append(VarnishProvider(name: name, endpoints: endpoints, secret: secret, host: host, concurrency: concurrency))
                } else {
                    providers.append(NginxProvider(name: name, endpoints: endpoints, secret: secret, host: host, concurrency: concurrency))
                }
            }
        }
        return providers
    }

    static func fastly(_ fields: Fields, name: String) throws(ConfigError) -> FastlyProvider {
        let serviceID = try fields.identifier("service_id")
        let token = try fields.secret("api_token")
        let api = try fields.url("api", path: true) ?? FastlyProvider.defaultAPI
        let baseURL = try fields.url("base_url")
        let rate = try fields.number("rate_per_second", 0.001...10_000) ?? 10
        let concurrency = try fields.int("concurrency", 1...64) ?? 4
        try fields.rejectUnknown(["type", "name", "service_id", "api_token", "api", "base_url", "rate_per_second", "concurrency"],
                                 secrets: ["api_token"])
        return FastlyProvider(name: name, serviceID: serviceID, apiToken: token, api: api, baseURL: baseURL,
                              ratePerSecond: rate, concurrency: concurrency)
    }

    static func cloudflare(_ fields: Fields, name: String) throws(ConfigError) -> CloudflareProvider {
        let zoneID = try fields.identifier("zone_id")
        let token = try fields.secret("api_token")
        let api = try fields.url("api", path: true) ?? CloudflareProvider.defaultAPI
        let baseURL = try fields.url("base_url")
        let maxItems = try fields.int("max_items_per_call", 1...10_000) ?? 100
        let rate = try fields.number("rate_per_second", 0.001...10_000) ?? 5
        let burst = try fields.int("burst", 1...100_000) ?? 25
        let concurrency = try fields.int("concurrency", 1...64) ?? 4
        try fields.rejectUnknown(["type", "name", "zone_id", "api_token", "api", "base_url", "max_items_per_call",
                                  "rate_per_second", "burst", "concurrency"], secrets: ["api_token"])
        return CloudflareProvider(name: name, zoneID: zoneID, apiToken: token, api: api, baseURL: baseURL,
                                  maxItemsPerCall: maxItems, ratePerSecond: rate, burst: Double(burst), concurrency: concurrency)
    }

    static func akamai(_ fields: Fields, name: String) throws(ConfigError) -> AkamaiProvider {
        let host = try fields.identifier("host", allowing: ".-:")
        let clientToken = try fields.secret("client_token")
        let clientSecret = try fields.secret("client_secret")
        let accessToken = try fields.secret("access_token")
        let networkName = try fields.string("network") ?? AkamaiProvider.Network.production.rawValue
        guard let network = AkamaiProvider.Network(rawValue: networkName) else {
            throw ConfigError(key: "\(fields.at).network", problem: "expected \"production\" or \"staging\", got \"\(networkName)\"")
        }
        let baseURL = try fields.url("base_url")
        let api = try fields.url("api", path: true)
        let rate = try fields.number("rate_per_second", 0.001...10_000) ?? 50
        let burst = try fields.int("burst", 1...100_000) ?? 100
        let concurrency = try fields.int("concurrency", 1...64) ?? 4
        try fields.rejectUnknown(["type", "name", "host", "client_token", "client_secret", "access_token", "network", "base_url",
                                  "api", "rate_per_second", "burst", "concurrency"],
                                 secrets: ["client_token", "client_secret", "access_token"])
        let credentials = EdgeGrid(clientToken: clientToken, clientSecret: clientSecret, accessToken: accessToken)
        return AkamaiProvider(name: name, host: host, credentials: credentials, network: network, baseURL: baseURL, api: api,
                              ratePerSecond: rate, burst: Double(burst), concurrency: concurrency)
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

        /// An integer or a float within `range`.
        func number(_ key: String, _ range: ClosedRange<Double>) throws(ConfigError) -> Double? {
            guard let v = table[key] else { return nil }
            guard let d = v.double ?? v.int.map(Double.init), range.contains(d) else {
                throw ConfigError(key: "\(at).\(key)", problem: "expected a number between \(range.lowerBound) and \(range.upperBound)")
            }
            return d
        }

        /// A required ID or host name: ASCII letters, digits, `_` and the characters in `allowing`.
        func identifier(_ key: String, allowing extra: String = "_-") throws(ConfigError) -> String {
            guard let s = try string(key) else { throw ConfigError(key: "\(at).\(key)", problem: "missing") }
            let allowed = Set(extra.utf8)
            guard !s.isEmpty, s.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x41...0x5A).contains($0)
                || (0x61...0x7A).contains($0) || $0 == UInt8(ascii: "_") || allowed.contains($0) }) else {
                throw ConfigError(key: "\(at).\(key)", problem: "\"\(s)\" has characters other than letters, digits and \(extra)")
            }
            return s
        }

        /// An optional http(s) URL without query (`https://www.example.com`), and without a path
        /// unless `path`; a trailing slash is dropped.
        func url(_ key: String, path: Bool = false) throws(ConfigError) -> String? {
            guard let s = try string(key) else { return nil }
            guard let u = URLComponents(string: s), let scheme = u.scheme?.lowercased(), scheme == "http" || scheme == "https",
                  u.host?.isEmpty == false, u.query == nil, u.fragment == nil, u.user == nil,
                  path || u.path.isEmpty || u.path == "/" else {
                throw ConfigError(key: "\(at).\(key)", problem: "expected an http(s)://host[:port]\(path ? "[/path]" : "") URL, got \"\(s)\"")
            }
            return s.hasSuffix("/") ? String(s.dropLast()) : s
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

        /// Fails on the first key not in `known`; `<secret>_env` is known for each of `secrets`.
        func rejectUnknown(_ known: Set<String>, secrets: Set<String>) throws(ConfigError) {
            for key in table.keys.sorted() where !known.contains(key) && !(key.hasSuffix("_env") && secrets.contains(String(key.dropLast(4)))) {
                throw ConfigError(key: "\(at).\(key)", problem: "unknown key")
            }
        }
    }
}
