import Testing
@testable import WharfMedia

@Suite struct CodecStringTests {
    @Test func avc() throws {
        #expect(try CodecString.avc("avc1", avcC: ByteReader([1, 0x64, 0x00, 0x1f, 0xff])) == "avc1.64001f")
        #expect(try CodecString.avc("avc3", avcC: ByteReader([1, 0x42, 0xc0, 0x1e, 0xff])) == "avc3.42c01e")
    }

    @Test func hevc() throws {
        // Main profile, level 3.1, progressive-source constraint (the common x265 output).
        let main: [UInt8] = [1, 0x01, 0x60, 0, 0, 0, 0xb0, 0, 0, 0, 0, 0, 93]
        #expect(try CodecString.hevc("hvc1", hvcC: ByteReader(main)) == "hvc1.1.6.L93.B0")
        // Main 10, high tier, level 5.1, no constraint bytes.
        let main10: [UInt8] = [1, 0x22, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 153]
        #expect(try CodecString.hevc("hev1", hvcC: ByteReader(main10)) == "hev1.2.4.H153")
    }

    @Test func aacObjectTypes() throws {
        func esds(_ asc: [UInt8], objectType: UInt8 = 0x40) -> ByteReader {
            ByteReader([0, 0, 0, 0, 0x03, 25, 0, 1, 0, 0x04, 17, objectType, 0x15] + [UInt8](repeating: 0, count: 11)
                       + [0x05, UInt8(asc.count)] + asc)
        }
        #expect(try CodecString.aac(esds: esds([0x11, 0x90])).codec == "mp4a.40.2")
        #expect(try CodecString.aac(esds: esds([0x11, 0x90])).sampleRate == 48000)
        #expect(try CodecString.aac(esds: esds([0x2b, 0x92, 0x08, 0x00])).codec == "mp4a.40.5") // HE-AAC
        #expect(try CodecString.aac(esds: esds([0xf8, 0x0e, 0x50])).codec == "mp4a.40.32") // escape: 31 then 6 bits
        #expect {
            try CodecString.aac(esds: esds([0x11, 0x90], objectType: 0x6b))
        } throws: { ($0 as? MediaError)?.status == 415 }
    }
}

@Suite struct PlaylistWriterTests {
    @Test func mediaPlaylistFollowsTheRules() {
        let plan = FragmentRoundTripTests.plan
        let text = PlaylistWriter.media(plan)
        #expect(text.hasPrefix("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:6\n"))
        for tag in ["#EXT-X-PLAYLIST-TYPE:VOD\n", "#EXT-X-INDEPENDENT-SEGMENTS\n", "#EXT-X-MAP:URI=\"init.mp4\"\n", "#EXT-X-ENDLIST\n"] {
            #expect(text.contains(tag))
        }
        #expect(text.contains("#EXTINF:6.000000,\nseg-1.m4s\n"))
        #expect(text.contains("#EXTINF:2.000000,\nseg-4.m4s\n")) // the video's 20 s − 18
    }

    @Test func multivariantCarriesWhatApplesSpecAsks() {
        let plan = FragmentRoundTripTests.plan
        let text = PlaylistWriter.multivariant([.init(plan: plan, uri: "index.m3u8")])
        #expect(text.contains("#EXT-X-STREAM-INF:BANDWIDTH=\(plan.peakBandwidth),AVERAGE-BANDWIDTH=\(plan.averageBandwidth),"
                              + "CODECS=\"avc1.64001f,mp4a.40.2\",RESOLUTION=320x180,FRAME-RATE=30.000\nindex.m3u8\n"))
        #expect(plan.peakBandwidth >= plan.averageBandwidth)
    }

    @Test func decimals() {
        #expect(PlaylistWriter.decimal(6.006, places: 6) == "6.006000")
        #expect(PlaylistWriter.decimal(29.97002997, places: 3) == "29.970")
        #expect(PlaylistWriter.decimal(0.0000004, places: 6) == "0.000000")
    }
}
