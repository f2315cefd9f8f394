import Testing
import WharfHTTP
@testable import WharfImage

@Suite struct FormatNegotiationTests {
    let chrome = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"

    @Test func autoPrefersAVIFThenWebPThenTheSource() {
        #expect(FormatNegotiation.choose(.auto, accept: chrome, source: .jpeg) == .init(format: .avif, negotiated: true))
        #expect(FormatNegotiation.choose(.auto, accept: "image/webp,*/*", source: .jpeg) == .init(format: .webp, negotiated: true))
        #expect(FormatNegotiation.choose(.auto, accept: "image/*,*/*;q=0.8", source: .jpeg) == .init(format: .jpeg, negotiated: true))
        #expect(FormatNegotiation.choose(.auto, accept: nil, source: .png) == .init(format: .png, negotiated: true))
        #expect(FormatNegotiation.choose(.auto, accept: "image/avif;q=0, image/webp", source: .png).format == .webp)
        #expect(FormatNegotiation.choose(.auto, accept: "IMAGE/AVIF", source: .png).format == .avif)
        #expect(FormatNegotiation.choose(.auto, accept: "image/avif;q=abc, image/webp;q=0.5", source: .png).format == .webp)
    }

    @Test func animatedSourcesPreferWebP() {
        #expect(FormatNegotiation.choose(.auto, accept: chrome, source: .png, animated: true) == .init(format: .webp, negotiated: true))
        #expect(FormatNegotiation.choose(.auto, accept: "image/avif", source: .png, animated: true).format == .avif)
        #expect(FormatNegotiation.choose(nil, accept: chrome, source: .png, animated: true) == .init(format: .webp, negotiated: false))
        #expect(FormatNegotiation.choose(.fixed(.avif), accept: chrome, source: .png, animated: true).format == .avif)
    }

    @Test func fixedAndSourceFormatsDoNotNegotiate() {
        #expect(FormatNegotiation.choose(.fixed(.png), accept: chrome, source: .jpeg) == .init(format: .png, negotiated: false))
        #expect(FormatNegotiation.choose(nil, accept: chrome, source: .jpeg) == .init(format: .jpeg, negotiated: false))
    }

    @Test func acceptParsing() {
        let a = AcceptMedia.parse("text/html, image/webp;q=0.9 , image/avif;q=0.000, bogus, image/png;q=1.5")
        #expect(a.explicitlyAccepts("image/webp"))
        #expect(!a.explicitlyAccepts("image/avif"))
        #expect(!a.explicitlyAccepts("image/png"))
        #expect(!a.explicitlyAccepts("image/jpeg"))
        #expect(!AcceptMedia.parse("").explicitlyAccepts("image/webp"))
    }

    @Test func sourceFormats() {
        #expect(ImageFormat.forSource(contentType: "image/jpeg") == .jpeg)
        #expect(ImageFormat.forSource(contentType: "image/gif") == .png)
        #expect(ImageFormat.forSource(contentType: "image/svg+xml; charset=utf-8") == nil)
        #expect(ImageFormat.forSource(contentType: "text/html; charset=utf-8") == nil)
    }
}

@Suite struct ImageSupportTests {
    /// The shortcut for q-less fields must agree with the full parse on every input.
    @Test(arguments: [
        "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8",
        "image/avif,image/webp,*/*", "image/webp,*/*", "image/*,*/*", "*/*", "", " ",
        "IMAGE/AVIF", "image/avifx, image/webpy", "ximage/avif", "image/avif ;q=0", "image/avif;q=0, image/webp",
        "text/html,image/webp ,image/avif", "image/webp;q=0.5,image/avif;q=0.000", "image/avif;level=1",
        "image/avif,,image/webp", "image/png,image/jpeg",
    ])
    func shortcutAgreesWithTheParse(accept: String) {
        let parsed = AcceptMedia.parse(accept)
        let expected: UInt8 = (parsed.explicitlyAccepts("image/avif") ? 1 : 0) | (parsed.explicitlyAccepts("image/webp") ? 2 : 0)
        #expect(AcceptMedia.imageSupport(accept) == expected, "\(accept)")
    }

    @Test func absentFieldSupportsNeither() {
        #expect(AcceptMedia.imageSupport(nil) == 0)
    }
}
