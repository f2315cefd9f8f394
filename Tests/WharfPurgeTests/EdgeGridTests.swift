import Foundation
import Testing
@testable import WharfPurge

/// Akamai's own EdgeGrid test vectors.
///
/// Source: github.com/akamai/AkamaiOPEN-edgegrid-python, `akamai/edgegrid/test/testdata.json`
/// (credentials, timestamp, nonce, `sign_key_test`, `content_hash_test` of the body "test_body")
/// and `akamai/edgegrid/test/testcases.json` (requests and `expectedAuthorization`), commit
/// 7111af56988590341caed3acaa0a6f166374fa25; older versions of testdata.json held both. The
/// vectors use `max_body = 2048` and headers_to_sign X-Test1..3, which none of the cases below send.
@Suite struct EdgeGridTests {
    static let host = "akaa-baseurl-xxxxxxxxxxx-xxxxxxxxxxxxx.luna.akamaiapis.net"
    static let timestamp = "20140321T19:34:21+0000"
    static let nonce = "nonce-xx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
    static let credentials = EdgeGrid(clientToken: "akab-client-token-xxx-xxxxxxxxxxxxxxxx",
                                      clientSecret: "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=",
                                      accessToken: "akab-access-token-xxx-xxxxxxxxxxxxxxxx", maxBody: 2048)
    static let prefix = "EG1-HMAC-SHA256 client_token=akab-client-token-xxx-xxxxxxxxxxxxxxxx;"
        + "access_token=akab-access-token-xxx-xxxxxxxxxxxxxxxx;timestamp=20140321T19:34:21+0000;"
        + "nonce=nonce-xx-xxxx-xxxx-xxxx-xxxxxxxxxxxx;signature="

    func sign(_ method: String, _ target: String, _ body: String = "") -> String {
        Self.credentials.authorization(method: method, scheme: "https", host: Self.host, target: target,
                                       body: Array(body.utf8), timestamp: Self.timestamp, nonce: Self.nonce)
    }

    @Test func signingKeyAndContentHash() {
        #expect(Self.credentials.signingKey(timestamp: Self.timestamp) == "znsRMDBRqTXGJ7Ojip3/h2FGPu3LuoMYWgv9PKEnE/o=")
        #expect(EdgeGrid.contentHash(method: "POST", body: Array("test_body".utf8), maxBody: 2048)
                == "REPGqEEubBHzJMhwqDZtbt515/ntEvAMNriNR53zcdY=")
    }

    @Test func simpleGET() {
        #expect(sign("GET", "/") == Self.prefix + "tL+y4hxyHxgWVD30X3pWnGKHcPzmrIF+LThiAOhMxYU=")
    }

    @Test func getWithQuery() {
        #expect(sign("GET", "/testapi/v1/t1?p1=1&p2=2") == Self.prefix + "hKDH1UlnQySSHjvIcZpDMbQHihTQ0XyVAKZaApabdeA=")
        #expect(sign("GET", "/testapi/v1/configs/111;222;333?from=12345&limit=200000")
                == Self.prefix + "pmQF7Is2+O4r/mMojPR4yeF58BrempNNoBX5/DT0Fxs=")
    }

    @Test func postInsideLimit() {
        #expect(sign("POST", "/testapi/v1/t3", "datadatadatadatadatadatadatadata")
                == Self.prefix + "hXm4iCxtpN22m4cbZb4lVLW5rhX8Ca82vCFqXzSTPe4=")
    }

    @Test func postBodyTruncatedAtMaxBody() {
        // "POST too large" (2049 × "d") and "POST length equals max_body" (2048 × "d") sign alike.
        let expected = Self.prefix + "6Q6PiTipLae6n4GsSIDTCJ54bEbHUBp+4MUXrbQCBoY="
        #expect(sign("POST", "/testapi/v1/t3", String(repeating: "d", count: 2049)) == expected)
        #expect(sign("POST", "/testapi/v1/t3", String(repeating: "d", count: 2048)) == expected)
    }

    @Test func postEmptyBodyAndPutBodyAreNotHashed() {
        #expect(sign("POST", "/testapi/v1/t6") == Self.prefix + "1gEDxeQGD5GovIkJJGcBaKnZ+VaPtrc4qBUHixjsPCQ=")
        #expect(sign("PUT", "/testapi/v1/t6", "PPPPPPPPPPPPPPPPPPPPPPPPPPPPPPP")
                == Self.prefix + "GNBWEYSEWOLtu+7dD52da2C39aX/Jchpon3K/AmBqBU=")
    }

    @Test func timestampAndNonce() {
        // 2014-03-21 19:34:21 UTC.
        #expect(EdgeGrid.timestamp(Date(timeIntervalSince1970: 1_395_430_461)) == Self.timestamp)
        #expect(EdgeGrid.timestamp(Date(timeIntervalSince1970: 0)) == "19700101T00:00:00+0000")
        let a = EdgeGrid.nonce(), b = EdgeGrid.nonce()
        #expect(a != b && a.count == 36)
        // The default max_body is .edgerc's 131072.
        #expect(EdgeGrid(clientToken: "c", clientSecret: "s", accessToken: "a").maxBody == 131_072)
    }
}
