import Testing
import WharfHTTP
@testable import WharfServer

@Suite struct ConfigLoaderTests {
    @Test func defaults() throws {
        let c = try ConfigLoader.load(configPath: nil, environment: [:])
        #expect(c.listen == .init(host: "127.0.0.1", port: 8080))
        #expect(c.adminListen == .init(host: "127.0.0.1", port: 9080))
        #expect(c.root == "public")
        #expect(c.limits.maxRanges == 16)
    }

    @Test func tomlThenEnvironment() throws {
        var c = ServerConfiguration()
        try ConfigLoader.apply(toml: """
            root = "site"
            listen = "0.0.0.0:80"
            [limits]
            max_connections = 500
            header_read_timeout = 5
            [cache]
            revalidate_interval = 0.5
            [[cache.rules]]
            match = "/api/**"
            cache_control = "no-store"
            [[cache.rules]]
            match = "*.woff2"
            cache_control = "public, max-age=604800"
            cdn_cache_control = "max-age=2592000"
            """, to: &c)
        try ConfigLoader.apply(environment: ["WHARF_LIMITS_MAX_CONNECTIONS": "700", "WHARF_LISTEN": "[::1]:8443"], to: &c)
        #expect(c.root == "site")
        #expect(c.listen == .init(host: "::1", port: 8443))
        #expect(c.limits.maxConnections == 700)
        #expect(c.limits.headerReadTimeout == 5)
        #expect(c.cache.revalidateInterval == 0.5)
        #expect(c.cache.policy.rules.count == 2)
        #expect(c.cache.policy.directives(forPath: "/api/x.json", contentType: "application/json").cacheControl == "no-store")
        #expect(c.cache.policy.directives(forPath: "/f/a.woff2", contentType: "font/woff2").cdnCacheControl == "max-age=2592000")
        // One shared-cache header alone sets the other.
        #expect(c.cache.policy.directives(forPath: "/f/a.woff2", contentType: "font/woff2").surrogateControl == "max-age=2592000")
    }

    @Test(arguments: [
        ("nope = 1", "nope"),
        ("[limits]\nmax_connections = \"many\"", "limits.max_connections"),
        ("[limits]\nmax_connections = 0", "limits.max_connections"),
        ("listen = \"localhost\"", "listen"),
        ("listen = \"localhost:99999\"", "listen"),
        ("[log]\nlevel = \"loud\"", "log.level"),
        ("[[cache.rules]]\ncache_control = \"x\"", "cache.rules[0].match"),
        ("[[cache.rules]]\nmatch = \"{a\"", "cache.rules[0].match"),
        ("[[cache.rules]]\nmatch = \"*\"\nexpires = \"x\"", "cache.rules[0].expires"),
        ("root = ", "wharf.toml"),
    ])
    func badConfigNamesTheKey(toml: String, key: String) {
        var c = ServerConfiguration()
        #expect {
            try ConfigLoader.apply(toml: toml, to: &c)
        } throws: { error in
            (error as? ConfigError)?.key == key
        }
    }

    /// Found by the `toml` fuzz target: toml++ 3.4 aborts the process on this date-time typo.
    /// It, and any bare date or time, is refused by line before the parser sees it; the same
    /// shapes inside strings and comments, and ordinary numbers, still load.
    @Test(arguments: ["when = 1979-05-27T-08:00\n", "[limits]\nidle_timeout = 1\nx = 2024-01-01\n", "t = 07:32:00\n",
                      "a = [1, 1979-05-27T07:32:00Z]\n"])
    func dateTimeLiteralsAreRefusedBeforeTheParserSeesThem(_ toml: String) {
        var c = ServerConfiguration()
        #expect {
            try ConfigLoader.apply(toml: toml, to: &c)
        } throws: { error in
            (error as? ConfigError)?.problem.contains("a date or time value") == true
        }
    }

    /// Also found by the fuzzer: a non-ASCII byte in a table header, or a key position holding
    /// something no key starts with, aborted the process in toml++.
    @Test(arguments: ["\n[\u{FFFD}hat = 2\n= 2\n", "[limits]\nidle_timeout\u{7} = 1\n", "r\u{E9}ot = \"x\"\n",
                      "[+++ut = \"soon\"\n", "[[purge.providers]]\nkind = \"varnish\"\n[[= \"T\"\n", "a.+ = 1\n", "x = { a = 1, + = 2 }\n", "[\nx = 1\n", "[[ # comment\nx = 1\n", "a. # comment\n", "[",
                      "a = { b = { c = { d = [1, [2, [3, }\n", "a = }\n", "a = # nothing\n", "a = [1,,2]\n", "a ="])
    func bytesTOMLDoesNotAllowOutsideStringsAreRefusedByLine(_ toml: String) {
        var c = ServerConfiguration()
        #expect {
            try ConfigLoader.apply(toml: toml, to: &c)
        } throws: { error in
            let problem = (error as? ConfigError)?.problem ?? ""
            return problem.contains("outside a quoted string") || problem.contains("expected a key") || problem.contains("expected a value")
        }
    }

    @Test func datesInStringsAndCommentsAndPlainNumbersStillLoad() throws {
        var c = ServerConfiguration()
        try ConfigLoader.apply(toml: """
            # deployed 2024-01-01T10:00:00Z
            root = "site-2024-01-01T-08:00-\u{E9}t\u{E9}" # caf\u{E9}
            [limits]
            idle_timeout = 12.5 # 07:32
            max_connections = 1_000
            [images]
            signing_keys = ['0123456789abcdef-1979-05-27T']
            """, to: &c)
        #expect(c.root == "site-2024-01-01T-08:00-\u{E9}t\u{E9}" && c.limits.idleTimeout == 12.5 && c.limits.maxConnections == 1000)
    }

    @Test func environmentValuesAreCheckedAndUnknownNamesReported() throws {
        var c = ServerConfiguration()
        #expect {
            try ConfigLoader.apply(environment: ["WHARF_LIMITS_MAX_RANGES": "-1"], to: &c)
        } throws: { error in
            (error as? ConfigError)?.key == "WHARF_LIMITS_MAX_RANGES"
        }
        try ConfigLoader.apply(environment: ["WHARF_LISTN": "x", "WHARF_BIN": "/x"], to: &c)
        #expect(ConfigLoader.unknownEnvironmentNames(["WHARF_LISTN": "x", "WHARF_ROOT": "r", "HOME": "/"]) == ["WHARF_LISTN"])
    }

    @Test func flagErrorsNameTheFlag() {
        var c = ServerConfiguration()
        #expect {
            try ConfigLoader.apply(flag: "--listen", key: "listen", value: "nope", to: &c)
        } throws: { error in
            (error as? ConfigError)?.key == "--listen"
        }
    }
}

@Suite struct PurgeConfigTests {
    @Test func purgeKeysAndEveryProviderType() throws {
        var c = ServerConfiguration()
        try ConfigLoader.apply(toml: """
            [purge]
            tokens = ["0123456789abcdef-deploy"]
            state_dir = "/var/lib/wharf"
            retry_base = 0.5
            max_items = 500
            [[purge.providers]]
            type = "varnish"
            endpoints = ["http://10.0.0.1:6081", "http://10.0.0.2:6081"]
            secret = "0123456789abcdef+/="
            [[purge.providers]]
            type = "nginx"
            name = "edge-nginx"
            endpoints = ["http://10.0.0.3"]
            secret = "0123456789abcdef"
            concurrency = 2
            [[purge.providers]]
            type = "fastly"
            service_id = "SU1Z0isxPaozGVKXdv0eY"
            api_token = "fastly-token-0123456789"
            [[purge.providers]]
            type = "cloudflare"
            zone_id = "023e105f4ecef8ad9ca31a8372d0c353"
            api_token = "cloudflare-token-0123456789"
            [[purge.providers]]
            type = "akamai"
            host = "akab-host.purge.akamaiapis.net"
            client_token = "akab-client-token"
            client_secret = "akamai-secret-0123456789"
            access_token = "akab-access-token"
            """, to: &c)
        try ConfigLoader.apply(environment: ["WHARF_PURGE_TOKEN": "from-the-environment-123"], to: &c)
        #expect(c.purge.tokens == ["0123456789abcdef-deploy", "from-the-environment-123"])
        #expect(c.purge.stateDirectory == "/var/lib/wharf")
        #expect(c.purge.options.retryBase == 0.5)
        #expect(c.purge.options.limits.maxItems == 500)
        #expect(c.purge.providers.map(\.name) == ["varnish", "edge-nginx", "fastly", "cloudflare", "akamai"])
    }

    @Test(arguments: [
        ("[purge]\ntokens = [\"short\"]", "purge.tokens"),
        ("[purge]\nretry_base = 0", "purge.retry_base"),
        ("[[purge.providers]]\ntype = \"squid\"", "purge.providers[0].type"),
        ("[[purge.providers]]\ntype = \"varnish\"\nsecret = \"0123456789abcdef\"", "purge.providers[0].endpoints"),
        ("[[purge.providers]]\ntype = \"varnish\"\nendpoints = [\"ftp://x\"]\nsecret = \"0123456789abcdef\"", "purge.providers[0].endpoints"),
        ("[[purge.providers]]\ntype = \"varnish\"\nendpoints = [\"http://x\"]\nsecret = \"short\"", "purge.providers[0].secret"),
        ("[[purge.providers]]\ntype = \"nginx\"\nendpoints = [\"http://x\"]\nsecret = \"0123456789abcdef\\\"quote\"", "purge.providers[0].secret"),
        ("[[purge.providers]]\ntype = \"nginx\"\nendpoints = [\"http://x\"]\nsecret = \"0123456789abcdef\"\ncolour = 1", "purge.providers[0].colour"),
        ("[[purge.providers]]\ntype = \"fastly\"\napi_token = \"fastly-token-0123456789\"", "purge.providers[0].service_id"),
        ("[[purge.providers]]\ntype = \"cloudflare\"\nzone_id = \"z\"\napi_token_env = \"WHARF_TEST_UNSET_VARIABLE\"", "purge.providers[0].api_token_env"),
        ("[[purge.providers]]\ntype = \"varnish\"\nendpoints = [\"http://x\"]\nsecret = \"0123456789abcdef\"\n[[purge.providers]]\ntype = \"varnish\"\nendpoints = [\"http://y\"]\nsecret = \"0123456789abcdef\"", "purge.providers[1].name"),
    ])
    func badPurgeConfigNamesTheKey(toml: String, key: String) {
        var c = ServerConfiguration()
        #expect {
            try ConfigLoader.apply(toml: toml, to: &c)
        } throws: { error in
            (error as? ConfigError)?.key == key
        }
    }
}
