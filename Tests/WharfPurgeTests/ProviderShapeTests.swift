import Testing
@testable import WharfPurge

@Suite struct ProviderShapeTests {
    @Test func varnishCalls() {
        let v = VarnishProvider(name: "v", endpoints: ["http://127.0.0.1:6081/"], secret: "s", host: "www.example.com",
                                maxTagHeaderBytes: 12)
        #expect(v.endpoints == ["http://127.0.0.1:6081"])
        let calls = v.calls(for: PurgeRequest(urls: ["/a.css", "https://cdn.example.com/caf\u{e9}.jpg?w=1"], tags: ["aaaa", "bbbb", "cccc"],
                                              prefixes: ["/img/(x)"], all: false, soft: true))
        #expect(calls.map(\.method) == ["PURGE", "PURGE", "PURGE", "PURGE", "BAN"])
        #expect(calls[0].target == "/a.css" && calls[0].headers.first?.0 == "X-Wharf-Soft")
        #expect(calls[1].target == "/caf%C3%A9.jpg?w=1" && calls[1].host == "www.example.com")
        #expect(calls[2].headers[0] == ("X-Wharf-Tags", "aaaa bbbb") || calls[2].headers[0].1 == "aaaa bbbb")
        #expect(calls[3].headers[0].1 == "cccc")
        #expect(calls[4].headers[0].1 == #"^/img/\(x\)"#)
        let hardAll = v.calls(for: PurgeRequest(all: true))
        #expect(hardAll.count == 1 && hardAll[0].method == "BAN" && hardAll[0].headers[0].0 == "X-Wharf-Ban-All")
        let softAll = v.calls(for: PurgeRequest(all: true, soft: true))
        #expect(softAll.count == 1 && softAll[0].method == "PURGE" && softAll[0].headers[0].1 == "/")
        // Without a configured host, an absolute URL's host is used (else the endpoint's, at send time).
        let u = VarnishProvider(name: "v", endpoints: ["http://e"], secret: "s")
        #expect(u.calls(for: PurgeRequest(urls: ["https://www.example.com:8443/x"]))[0].host == "www.example.com:8443")
        #expect(u.calls(for: PurgeRequest(urls: ["/x"]))[0].host == nil)
    }

    @Test func nginxKeysPerEncodingAndImageClass() {
        let n = NginxProvider(name: "n", endpoints: ["http://e"], secret: "s")
        #expect(n.purgeTargets(for: "/css/site.css") == [
            "/.wharf-purge/br/-/css/site.css", "/.wharf-purge/gzip/-/css/site.css", "/.wharf-purge/identity/-/css/site.css"])
        let img = n.purgeTargets(for: "/img/a.JPG?w=300&fm=auto")
        #expect(img.count == 9)
        #expect(img.contains("/.wharf-purge/gzip/webp/img/a.JPG?w=300&fm=auto"))
        #expect(!NginxProvider.isImage("/img.jpg/x.css"))
        #expect(!NginxProvider.isImage("/a?x=.jpg"))
        #expect(NginxProvider.isImage("/a.avif?x=1"))
    }

    @Test func helpers() {
        #expect(packTags(["a", "bb", "ccc"], maxBytes: 4) == ["a bb", "ccc"])
        #expect(packTags(["toolongtag"], maxBytes: 4) == ["toolongtag"])
        #expect(regexEscape("/a.b+c[1]") == #"/a\.b\+c\[1\]"#)
        #expect(percentEncodeNonASCII("/ä b%20") == "/%C3%A4%20b%20")
        #expect(originForm("https://h:1/p?q").host == "h:1" && originForm("https://h:1/p?q").target == "/p?q")
        #expect(originForm("https://h?q").target == "/?q")
        #expect(originForm("/x").host == nil)
    }

    @Test func matcher() {
        let tags: @Sendable (String) -> [String] = { path in
            var t = [path]
            if path.hasPrefix("/img/") { t.append("/img/") }
            return t + ["/"]
        }
        let m = PurgeMatcher(PurgeRequest(urls: ["/a.css?v=1", "https://x/caf%C3%A9.js"], tags: ["/img/"], prefixes: ["/docs/"]), tags: tags)
        #expect(m.matches("/a.css") && m.matches("/café.js") && m.matches("/img/x.png") && m.matches("/docs/index.html"))
        #expect(!m.matches("/b.css") && !m.matches("/doc"))
        #expect(PurgeMatcher(PurgeRequest(all: true), tags: tags).matches("/anything"))
    }

    @Test func backoffGrowsWithJitterAndCap() {
        for attempt in 1...12 {
            let d = PurgeService.backoff(attempt: attempt, base: 1, max: 60)
            let raw = min(60, pow2(attempt - 1))
            #expect(d >= raw * 0.5 && d <= raw)
        }
    }

    func pow2(_ n: Int) -> Double { Double(1 << n) }
}
