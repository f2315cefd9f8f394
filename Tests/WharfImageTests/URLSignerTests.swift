import Testing
@testable import WharfImage

@Suite struct URLSignerTests {
    // Vectors computed independently with Python's hmac/hashlib and base64.urlsafe_b64encode.
    @Test func matchesImgproxysDocumentedVector() {
        // imgproxy signs salt ‖ path with HMAC-SHA256; the same bytes as our payload give its signature.
        let payload = "hello" + "/rs:fill:300:400:0/g:sm/aHR0cDovL2V4YW1w/bGUuY29tL2ltYWdl/cy9jdXJpb3NpdHku/anBn.png"
        #expect(URLSigner.signature(key: Array("secret".utf8), payload: payload) == "oKfUtW34Dvo2BGQehJFR4Nr0_rIjOtdtzJ3QFsUcXH8")
        #expect(URLSigner.signature(key: Array("secret".utf8), payload: payload, bytes: 8) == "oKfUtW34Dvo")
    }

    @Test func signsTheNormalisedPathAndQuery() throws {
        let key = Array("wharf-test-key-0123456789abcdef".utf8)
        let payload = "/img/rocket.jpg?fit=cover&h=360&w=640"
        #expect(URLSigner.signature(key: key, payload: payload) == "o8ysckvyj0ea1V_vcwtrKGBCZUmEostRZtAoGDwpy5w")
        #expect(URLSigner.signature(key: key, payload: payload, bytes: 12) == "o8ysckvyj0ea1V_v")
        // Aliases and order do not change what is signed.
        let q = try #require(try TransformQuery.parse("width=640&height=360&fit=cover"))
        let spec = try TransformSpec.resolve(q, options: ImageOptions())
        #expect(spec.signingPayload(path: "/img/rocket.jpg") == payload)
    }

    @Test func verifiesWithAnyKeyAndRejectsEverythingElse() {
        let signer = URLSigner(keys: [Array("new-key".utf8), Array("old-key".utf8)])
        let payload = "/img/rocket.jpg?w=100"
        #expect(signer.verify("l-E2eubjTjUwuMFRh-iwKsbc1bb9soJ3tA_xK7fPrkM", payload: payload)) // old key
        #expect(signer.verify(signer.sign(payload), payload: payload))
        #expect(!signer.verify(nil, payload: payload))
        #expect(!signer.verify("", payload: payload))
        #expect(!signer.verify("l-E2eubjTjUwuMFRh-iwKsbc1bb9soJ3tA_xK7fPrkM", payload: "/img/rocket.jpg?w=101"))
        #expect(!signer.verify("l-E2eubjTjUwuMFRh-iwKsbc1bb9soJ3tA_xK7fPrkm", payload: payload))
        #expect(!signer.verify("l-E2eubjTjUwuMFRh-iwKsbc1bb9soJ3tA_xK7fPrk=", payload: payload))
        #expect(!signer.verify("l-E2eubjTjUwuMFR", payload: payload)) // truncated below the configured length
        let short = URLSigner(keys: [Array("old-key".utf8)], signatureBytes: 12)
        #expect(short.verify("l-E2eubjTjUwuMFR", payload: payload))
        #expect(!short.verify("l-E2eubjTjUwuMFRh-iwKsbc1bb9soJ3tA_xK7fPrkM", payload: payload))
    }

    @Test func base64URLRoundTrips() {
        for n in 0..<40 {
            let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 251) }
            let text = URLSigner.base64URLEncode(bytes)
            #expect(!text.contains("=") && !text.contains("+") && !text.contains("/"))
            #expect(URLSigner.base64URLDecode(text) == bytes)
        }
        #expect(URLSigner.base64URLDecode("a") == nil)
        #expect(URLSigner.base64URLDecode("ab+c") == nil)
    }
}
