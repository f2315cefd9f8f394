import Foundation
import Testing
import WharfCompression
#if canImport(Glibc)
import Glibc
#endif

/// HLS packaging (issue #5) end to end: the real `wharf` binary serves MP4 fixtures made with
/// ffmpeg (`scripts/hls-fixtures.sh`), ffmpeg plays the playlists over HTTP, ffprobe counts
/// frames and audio samples on both sides, and `scripts/hls-check.py` (Python `m3u8` package, a
/// second and independent reader) checks the playlist rules and measures bit rates.
///
/// Nothing is skipped: without ffmpeg, ffprobe or Python's m3u8 every test fails saying so
/// (scripts/install-deps.sh test installs ffmpeg and python3-m3u8).
///
/// Shared state, made once per test process: the fixture directory (under the temporary
/// directory, keyed by a hash of hls-fixtures.sh so reruns reuse it) and one `wharf serve` over
/// it. That server runs under a bash watchdog that stops it, and removes its working directory,
/// when the test process is gone; swift-testing has no suite teardown to do it.
@Suite(.serialized) struct HLSTests {
    struct Fixture: Sendable, CustomStringConvertible {
        let name: String
        /// ffprobe's codec_name of the video, nil for audio-only.
        let video: String?
        /// "WxH", nil for audio-only.
        let size: String?
        var description: String { name }
    }

    /// Every fixture that must play (scripts/hls-fixtures.sh lists what each one is).
    static let good: [Fixture] = [
        Fixture(name: "h264.mp4", video: "h264", size: "320x180"),
        Fixture(name: "h264-moov-end.mp4", video: "h264", size: "320x180"),
        Fixture(name: "h264-2997.mp4", video: "h264", size: "320x180"),
        Fixture(name: "h264-nob.mp4", video: "h264", size: "320x180"),
        Fixture(name: "h264-gop8.mp4", video: "h264", size: "320x180"),
        Fixture(name: "h264-frag.mp4", video: "h264", size: "320x180"),
        Fixture(name: "hevc.mp4", video: "hevc", size: "320x180"),
        Fixture(name: "audio.mp4", video: nil, size: nil),
    ]

    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    // MARK: - Every good fixture plays like its source

    @Test(arguments: HLSTests.good)
    func playsOverHTTPWithTheSourcesFramesAndDuration(_ f: Fixture) async throws {
        let env = try await HLSEnvironment.shared.get()
        let url = "\(env.server.base)/\(f.name)/master.m3u8"

        // A full decode of every stream of every variant: exit 0 and not one error line.
        let play = try await Self.tool([env.ffmpeg, "-nostdin", "-v", "error", "-i", url, "-map", "0", "-f", "null", "-"])
        #expect(play.status == 0 && play.stderr.isBlank,
                "ffmpeg -i \(url) exited \(play.status):\n\(play.stderr.suffix(3000))")

        let src = try await Self.stats(env.fixtures.appendingPathComponent(f.name).path, env)
        let hls = try await Self.stats(url, env)
        // The fixture is what it claims to be (else the comparison below proves little).
        #expect(src.videoCodec == f.video && src.videoSize == f.size && src.audioCodec == "aac", "source \(f.name): \(src)")

        #expect(hls.videoCodec == f.video, "\(url): video codec \(hls.videoCodec ?? "none"), expected \(f.video ?? "none")")
        #expect(hls.videoSize == f.size, "\(url): resolution \(hls.videoSize ?? "none"), expected \(f.size ?? "none")")
        #expect(hls.audioCodec == "aac", "\(url): audio codec \(hls.audioCodec ?? "none")")
        if f.video != nil {
            #expect(hls.videoFrames != nil && hls.videoFrames == src.videoFrames,
                    "\(url): \(hls.videoFrames.map(String.init) ?? "no") video frames decoded, the source has \(src.videoFrames.map(String.init) ?? "?")")
        }
        if let a = hls.audioSeconds, let b = src.audioSeconds {
            #expect(abs(a - b) <= 0.05, "\(url): \(a) s of audio decoded, the source has \(b) s")
        } else {
            Issue.record("\(url): audio duration not measurable (HLS \(hls), source \(src))")
        }

        try await Self.expectHLSCheckPasses(url, source: src, env)
    }

    // MARK: - A directory of renditions

    @Test func aDirectoryOfRenditionsIsOneMasterWithAVariantEachInTheOrderOfHlsToml() async throws {
        let env = try await HLSEnvironment.shared.get()
        let url = "\(env.server.base)/renditions/master.m3u8"
        let master = try await env.client.get(url, [("Accept-Encoding", "identity")])
        try #require(master.status == 200, "\(url): \(master.status) \(master.text.prefix(300))")
        #expect(Self.mediaType(master.h("Content-Type")) == "application/vnd.apple.mpegurl")

        // Variants in hls.toml's order (360p first, though "180p" sorts first), each pointing at
        // its file's media playlist.
        let variants = Self.streamInfs(master.text)
        try #require(variants.count == 2, "\(url) has \(variants.count) variants:\n\(master.text)")
        #expect(variants[0].uri.hasSuffix("360p.mp4/index.m3u8") && variants[0].attributes.contains("RESOLUTION=640x360"),
                "first variant: \(variants[0])")
        #expect(variants[1].uri.hasSuffix("180p.mp4/index.m3u8") && variants[1].attributes.contains("RESOLUTION=320x180"),
                "second variant: \(variants[1])")

        // Same target duration in both media playlists, and each one decodes to its source's frames.
        var targets: [Int] = []
        for (v, file) in zip(variants, ["360p.mp4", "180p.mp4"]) {
            let media = try #require(URL(string: v.uri, relativeTo: URL(string: url))?.absoluteString)
            let playlist = try await env.client.get(media, [("Accept-Encoding", "identity")])
            #expect(playlist.status == 200, "\(media): \(playlist.status)")
            if let m = playlist.text.firstMatch(of: /#EXT-X-TARGETDURATION:(\d+)/), let t = Int(m.1) { targets.append(t) }
            let src = try await Self.stats(env.fixtures.appendingPathComponent("renditions/\(file)").path, env)
            let hls = try await Self.stats(media, env)
            #expect(hls.videoFrames != nil && hls.videoFrames == src.videoFrames,
                    "\(media): \(hls.videoFrames.map(String.init) ?? "no") frames, source \(src.videoFrames.map(String.init) ?? "?")")
            #expect(hls.videoSize == src.videoSize, "\(media): \(hls.videoSize ?? "none") vs source \(src.videoSize ?? "none")")
        }
        #expect(targets.count == 2 && Set(targets).count == 1, "EXT-X-TARGETDURATION per variant: \(targets)")

        let play = try await Self.tool([env.ffmpeg, "-nostdin", "-v", "error", "-i", url, "-map", "0", "-f", "null", "-"])
        #expect(play.status == 0 && play.stderr.isBlank, "ffmpeg -i \(url) exited \(play.status):\n\(play.stderr.suffix(3000))")

        let src = try await Self.stats(env.fixtures.appendingPathComponent("renditions/360p.mp4").path, env)
        try await Self.expectHLSCheckPasses(url, source: src, env)
    }

    // MARK: - HTTP: types, caching, compression, ranges, tags

    @Test func playlistsInitAndSegmentsHaveTheirTypesCachingCompressionAndRanges() async throws {
        let env = try await HLSEnvironment.shared.get()
        let c = env.client
        let base = "\(env.server.base)/h264.mp4"
        let identity = [("Accept-Encoding", "identity")]

        for (path, type) in [("master.m3u8", "application/vnd.apple.mpegurl"), ("index.m3u8", "application/vnd.apple.mpegurl"),
                             ("init.mp4", "video/mp4"), ("seg-1.m4s", "video/iso.segment")] {
            let r = try await c.get("\(base)/\(path)", identity)
            #expect(r.status == 200, "\(path): \(r.status) \(r.text.prefix(200))")
            #expect(Self.mediaType(r.h("Content-Type")) == type, "\(path): Content-Type \(r.h("Content-Type") ?? "none")")
            let etag = r.h("ETag") ?? ""
            #expect(etag.hasPrefix("\"") && etag.hasSuffix("\""), "\(path): ETag \(etag) is not a strong ETag")
            let cc = r.h("Cache-Control") ?? ""
            if path.hasSuffix(".m3u8") {
                // VOD playlists never change for the same source: long-lived (an hour or more).
                #expect((Self.maxAge(cc) ?? 0) >= 3600, "\(path): Cache-Control \(cc)")
            } else {
                #expect(cc.contains("immutable") && (Self.maxAge(cc) ?? 0) > 0, "\(path): Cache-Control \(cc)")
            }
            // The source MP4's surrogate tag on everything derived from it (purging it purges them).
            let tags = (r.h("Surrogate-Key") ?? "").split(separator: " ").map(String.init)
            #expect(tags.contains("/h264.mp4"), "\(path): Surrogate-Key \(r.h("Surrogate-Key") ?? "none")")
            #expect(!r.body.isEmpty)
        }

        // Playlists are compressed when asked (Apple: gzip MUST), and decode to the identity bytes.
        for path in ["master.m3u8", "index.m3u8"] {
            let plain = try await c.get("\(base)/\(path)", identity)
            let gz = try await c.get("\(base)/\(path)", [("Accept-Encoding", "gzip")])
            #expect(gz.status == 200 && gz.h("Content-Encoding") == "gzip", "\(path) gzip: \(gz.status) \(gz.h("Content-Encoding") ?? "identity")")
            if gz.h("Content-Encoding") == "gzip" { #expect(try Gzip.decompress(gz.body) == plain.body) }
            let br = try await c.get("\(base)/\(path)", [("Accept-Encoding", "br, gzip")])
            #expect(br.status == 200 && br.h("Content-Encoding") == "br", "\(path) br: \(br.status) \(br.h("Content-Encoding") ?? "identity")")
            if br.h("Content-Encoding") == "br" { #expect(try Brotli.decompress(br.body) == plain.body) }
            #expect(gz.h("Vary")?.lowercased().contains("accept-encoding") == true, "\(path): Vary \(gz.h("Vary") ?? "none")")
        }

        // Range on a segment.
        let seg = try await c.get("\(base)/seg-1.m4s", identity)
        try #require(seg.status == 200 && seg.body.count > 200, "seg-1.m4s: \(seg.status), \(seg.body.count) bytes")
        let part = try await c.get("\(base)/seg-1.m4s", identity + [("Range", "bytes=100-199")])
        #expect(part.status == 206, "seg-1.m4s Range: \(part.status)")
        #expect(part.h("Content-Range") == "bytes 100-199/\(seg.body.count)", "Content-Range \(part.h("Content-Range") ?? "none")")
        #expect(part.body == Array(seg.body[100..<200]))
        let tail = try await c.get("\(base)/seg-1.m4s", identity + [("Range", "bytes=-10")])
        #expect(tail.status == 206 && tail.body == Array(seg.body.suffix(10)))
        // Strong validators: a matching If-None-Match is a 304.
        if let etag = seg.h("ETag") {
            #expect(try await c.get("\(base)/seg-1.m4s", identity + [("If-None-Match", etag)]).status == 304)
        }

        // The MP4 itself is still a static file with ranges.
        let bytes = try Array(Data(contentsOf: env.fixtures.appendingPathComponent("h264.mp4")))
        let mp4 = try await c.get("\(env.server.base)/h264.mp4", identity + [("Range", "bytes=0-99")])
        #expect(mp4.status == 206 && mp4.body == Array(bytes.prefix(100)), "h264.mp4 Range: \(mp4.status)")
        #expect(mp4.h("Content-Range") == "bytes 0-99/\(bytes.count)")
        #expect(Self.mediaType(mp4.h("Content-Type")) == "video/mp4")
    }

    // MARK: - Stable bytes and ETags

    @Test func segmentsAndETagsAreTheSameOnEveryRequestAndAfterARestart() async throws {
        let env = try await HLSEnvironment.shared.get()
        let work = try CLITests.tempDir()
        let client = try Client()
        var server: HLSServer?
        do {
            let paths = ["h264.mp4/master.m3u8", "h264.mp4/index.m3u8", "h264.mp4/init.mp4", "h264.mp4/seg-1.m4s",
                         "h264.mp4/seg-3.m4s", "h264-frag.mp4/init.mp4", "h264-frag.mp4/seg-2.m4s", "hevc.mp4/seg-1.m4s"]
            server = try await HLSServer.start(root: env.fixtures, work: work, client: client, removeWorkOnExit: false)
            var first: [String: (body: [UInt8], etag: String?)] = [:]
            for p in paths {
                let a = try await client.get("\(server!.base)/\(p)", [("Accept-Encoding", "identity")])
                let b = try await client.get("\(server!.base)/\(p)", [("Accept-Encoding", "identity")])
                #expect(a.status == 200 && b.status == 200, "\(p): \(a.status), \(b.status)")
                #expect(a.body == b.body, "\(p): two requests gave different bytes")
                #expect(a.h("ETag") != nil && a.h("ETag") == b.h("ETag"), "\(p): ETag \(a.h("ETag") ?? "none") then \(b.h("ETag") ?? "none")")
                #expect(a.h("ETag")?.hasPrefix("W/") == false, "\(p): weak ETag \(a.h("ETag") ?? "")")
                first[p] = (a.body, a.h("ETag"))
            }
            // Each packaged file's segment plan was stored (hls.cache_dir), for the restart to use.
            let stored = (try? FileManager.default.contentsOfDirectory(atPath: work.appendingPathComponent(".wharf-cache/hls").path)) ?? []
            #expect(stored.filter { $0.hasSuffix(".plan") }.count == 3, "stored plans: \(stored)")
            await server!.stop()
            // The same working directory (and so the same persisted caches), new ports.
            server = try await HLSServer.start(root: env.fixtures, work: work, client: client, removeWorkOnExit: false)
            for p in paths {
                let r = try await client.get("\(server!.base)/\(p)", [("Accept-Encoding", "identity")])
                #expect(r.status == 200, "\(p) after restart: \(r.status)")
                #expect(r.body == first[p]?.body, "\(p): different bytes after a restart")
                #expect(r.h("ETag") == first[p]?.etag, "\(p): ETag \(first[p]?.etag ?? "none") became \(r.h("ETag") ?? "none") after a restart")
            }
        } catch {
            Issue.record(error)
        }
        if let s = server {
            if let log = s.logText.nonBlank, log.contains("error") { print("wharf log:\n\(log.suffix(3000))") }
            await s.stop()
        }
        try? await client.shutdown()
        try? FileManager.default.removeItem(at: work)
    }

    // MARK: - Packaged ahead of time

    /// `wharf hls` writes the files `wharf serve` would send, byte for byte.
    @Test func wharfHLSWritesTheServedBytesAsFiles() async throws {
        let env = try await HLSEnvironment.shared.get()
        let out = try CLITests.tempDir().appendingPathComponent("h264-frag.hls")
        defer { try? FileManager.default.removeItem(at: out.deletingLastPathComponent()) }
        let r = try await Self.tool([try CLITests.binary().path, "hls", env.fixtures.appendingPathComponent("h264-frag.mp4").path,
                                     "--out", out.path])
        #expect(r.status == 0, "wharf hls exited \(r.status): \(r.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        let index = try String(contentsOf: out.appendingPathComponent("index.m3u8"), encoding: .utf8)
        let segments = index.split(separator: "\n").filter { $0.hasPrefix("seg-") }.map(String.init)
        #expect(!segments.isEmpty && files == (["index.m3u8", "init.mp4", "master.m3u8"] + segments).sorted(), "\(files)")
        for name in files {
            let served = try await env.client.get("\(env.server.base)/h264-frag.mp4/\(name)", [("Accept-Encoding", "identity")])
            let written = try Array(Data(contentsOf: out.appendingPathComponent(name)))
            #expect(served.status == 200 && served.body == written, "\(name): the file differs from what wharf serve sends")
        }
        let bad = try await Self.tool([try CLITests.binary().path, "hls", env.fixtures.appendingPathComponent("mpeg4.mp4").path,
                                       "--out", out.path + "-bad"])
        #expect(bad.status == 1 && bad.stderr.contains("415"), "wharf hls on mpeg4.mp4: \(bad.status) \(bad.stderr)")
    }

    // MARK: - Bad input

    @Test func badInputsGetA4xxWithAReasonAndTheServerKeepsServing() async throws {
        let env = try await HLSEnvironment.shared.get()
        let c = env.client
        let base = env.server.base
        let identity = [("Accept-Encoding", "identity")]

        // Truncated: moov intact, samples past the end of the file.
        for p in ["truncated.mp4/master.m3u8", "truncated.mp4/index.m3u8"] {
            let r = try await c.get("\(base)/\(p)", identity)
            #expect(r.status == 422, "\(p): \(r.status) \(r.text.prefix(300))")
            #expect(!r.text.isBlank, "\(p): no reason in the body")
        }
        // Unsupported codec (MPEG-4 Part 2 video).
        let mpeg4 = try await c.get("\(base)/mpeg4.mp4/master.m3u8", identity)
        #expect(mpeg4.status == 415, "mpeg4.mp4/master.m3u8: \(mpeg4.status) \(mpeg4.text.prefix(300))")
        #expect(!mpeg4.text.isBlank, "mpeg4.mp4/master.m3u8: no reason in the body")
        // Nothing there, and segment numbers out of range (they start at 1).
        for p in ["nope.mp4/master.m3u8", "nope.mp4/seg-1.m4s", "h264.mp4/seg-0.m4s", "h264.mp4/seg-99999.m4s"] {
            let r = try await c.get("\(base)/\(p)", identity)
            #expect(r.status == 404, "\(p): \(r.status) \(r.text.prefix(200))")
        }

        // Still serving, playlists and files alike.
        #expect(try await c.get("\(base)/h264.mp4/master.m3u8", identity).status == 200)
        #expect(try await c.get("\(base)/h264.mp4/seg-1.m4s", identity).status == 200)
        #expect(try await c.get("\(base)/truncated.mp4", identity + [("Range", "bytes=0-9")]).status == 206)
        #expect(env.server.isRunning, "wharf exited:\n\(env.server.logText.suffix(3000))")
    }

    // MARK: - Helpers

    /// What ffprobe says about a file or URL, decoding every frame.
    struct MediaStats: Sendable, CustomStringConvertible {
        var videoCodec: String?
        var videoSize: String?
        var videoFrames: Int?
        var videoDuration: Double?
        /// One video frame in seconds, from r_frame_rate.
        var frameDuration: Double?
        var audioCodec: String?
        var audioDuration: Double?
        /// Decoded audio samples / sample rate.
        var audioSeconds: Double?
        var formatDuration: Double?

        /// The duration the playlist's EXTINF must add up to: the video track's, else the audio's.
        var contentDuration: Double? { videoDuration ?? audioDuration ?? formatDuration }

        var description: String {
            "video \(videoCodec ?? "-") \(videoSize ?? "-") \(videoFrames.map(String.init) ?? "-") frames "
                + "\(videoDuration.map { String($0) } ?? "-") s, audio \(audioCodec ?? "-") \(audioSeconds.map { String($0) } ?? "-") s decoded"
        }
    }

    struct Probe: Decodable {
        struct StreamEntry: Decodable {
            let index: Int
            let codecType: String?
            let codecName: String?
            let width: Int?
            let height: Int?
            let sampleRate: String?
            let rFrameRate: String?
            let duration: String?
            let nbReadFrames: String?
        }
        struct Frame: Decodable {
            let mediaType: String?
            let streamIndex: Int?
            let nbSamples: Int?
        }
        struct Format: Decodable {
            let duration: String?
        }
        let streams: [StreamEntry]?
        let frames: [Frame]?
        let format: Format?
    }

    /// One ffprobe pass: codecs and size, decoded video frames (count_frames) and the sum of
    /// decoded audio samples. Samples, not packet timestamps: they are what a player plays, and
    /// they do not depend on how either side spells edit lists or timestamp offsets.
    static func stats(_ input: String, _ env: HLSEnv) async throws -> MediaStats {
        let r = try await tool([env.ffprobe, "-v", "error", "-count_frames", "-show_entries",
                                "stream=index,codec_type,codec_name,width,height,sample_rate,r_frame_rate,duration,nb_read_frames"
                                    + ":frame=media_type,stream_index,nb_samples:format=duration",
                                "-of", "json", input])
        guard r.status == 0 else { throw TestFailure("ffprobe \(input) exited \(r.status):\n\(r.stderr.suffix(3000))") }
        if !r.stderr.isBlank { Issue.record("ffprobe \(input) reported errors:\n\(r.stderr.suffix(3000))") }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let probe = try decoder.decode(Probe.self, from: Data(r.stdout.utf8))
        var s = MediaStats()
        let streams = probe.streams ?? []
        if let v = streams.first(where: { $0.codecType == "video" }) {
            s.videoCodec = v.codecName
            if let w = v.width, let h = v.height { s.videoSize = "\(w)x\(h)" }
            s.videoFrames = v.nbReadFrames.flatMap { Int($0) }
            s.videoDuration = v.duration.flatMap { Double($0) }
            if let rate = v.rFrameRate?.split(separator: "/"), rate.count == 2,
               let n = Double(rate[0]), let d = Double(rate[1]), n > 0 {
                s.frameDuration = d / n
            }
        }
        if let a = streams.first(where: { $0.codecType == "audio" }) {
            s.audioCodec = a.codecName
            s.audioDuration = a.duration.flatMap { Double($0) }
            if let rate = a.sampleRate.flatMap({ Double($0) }), rate > 0 {
                let samples = (probe.frames ?? []).filter { $0.streamIndex == a.index }.reduce(0) { $0 + ($1.nbSamples ?? 0) }
                s.audioSeconds = Double(samples) / rate
            }
        }
        s.formatDuration = probe.format?.duration.flatMap { Double($0) }
        return s
    }

    struct CheckReport: Decodable {
        let ok: Bool
        let errors: [String]
        let warnings: [String]?
    }

    /// scripts/hls-check.py against `url`, with the source's duration and frame length.
    static func expectHLSCheckPasses(_ url: String, source: MediaStats, _ env: HLSEnv) async throws {
        var args = [env.python, repo.appendingPathComponent("scripts/hls-check.py").path, url]
        if let d = source.contentDuration { args += ["--duration", String(d)] }
        if let f = source.frameDuration { args += ["--frame", String(f)] }
        let r = try await tool(args)
        let report = try? JSONDecoder().decode(CheckReport.self, from: Data(r.stdout.utf8))
        guard let report else {
            Issue.record("hls-check.py \(url) exited \(r.status) without a report:\n\(r.stdout.suffix(2000))\n\(r.stderr.suffix(2000))")
            return
        }
        #expect(r.status == 0 && report.ok,
                "hls-check.py \(url):\n\(report.errors.joined(separator: "\n"))\nfull report:\n\(r.stdout.prefix(6000))")
        if let w = report.warnings, !w.isEmpty { print("hls-check.py \(url) warnings:\n\(w.joined(separator: "\n"))") }
    }

    struct ToolRun: Sendable {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs a tool to completion without blocking a cooperative thread: posix_spawn (``Spawned``)
    /// with stdout and stderr in files, reaped by polling. Killed, with an error, after `timeout`:
    /// a hang fails the test instead of stalling the suite.
    static func tool(_ argv: [String], timeout: Duration = .seconds(300)) async throws -> ToolRun {
        let id = UUID().uuidString
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("wharf-hls-\(id).out").path
        let err = FileManager.default.temporaryDirectory.appendingPathComponent("wharf-hls-\(id).err").path
        defer {
            unlink(out)
            unlink(err)
        }
        let p = try Spawned("/bin/bash", ["-c", #"o=$1 e=$2; shift 2; exec "$@" >"$o" 2>"$e""#, "tool", out, err] + argv)
        let start = ContinuousClock.now
        var status: Int32 = 0
        while true {
            let r = waitpid(p.pid, &status, WNOHANG)
            if r == p.pid { break }
            if r == -1 && errno != EINTR { throw TestFailure("waitpid for \(argv[0]): \(String(cString: strerror(errno)))") }
            if ContinuousClock.now - start > timeout {
                p.stop()
                throw TestFailure("\(argv.joined(separator: " ")) did not finish within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(15))
        }
        let signal = status & 0x7f
        let code = signal == 0 ? (status >> 8) & 0xff : 128 + signal
        return ToolRun(status: code,
                       stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                       stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }

    /// `type/subtype` of a Content-Type, lower-cased, without parameters.
    static func mediaType(_ value: String?) -> String? {
        value?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
    }

    static func maxAge(_ cacheControl: String) -> Int? {
        cacheControl.firstMatch(of: /(?:^|[ ,])max-age=(\d+)/).flatMap { Int($0.1) }
    }

    /// The EXT-X-STREAM-INF entries of a master playlist: attributes and the URI line after each.
    static func streamInfs(_ text: String) -> [(attributes: String, uri: String)] {
        var result: [(attributes: String, uri: String)] = []
        var pending: String?
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("#EXT-X-STREAM-INF:") {
                pending = String(line.dropFirst("#EXT-X-STREAM-INF:".count))
            } else if let attributes = pending, !line.isEmpty, !line.hasPrefix("#") {
                result.append((attributes, line))
                pending = nil
            }
        }
        return result
    }
}

/// What every HLS test shares: tools, fixtures, the Python with `m3u8`, and one server.
struct HLSEnv: Sendable {
    let ffmpeg: String
    let ffprobe: String
    let python: String
    let fixtures: URL
    let server: HLSServer
    let client: Client
}

/// Makes the ``HLSEnv`` once per test process; a failure is remembered and fails every test
/// with the same message.
actor HLSEnvironment {
    static let shared = HLSEnvironment()
    private var setup: Task<HLSEnv, any Error>?

    func get() async throws -> HLSEnv {
        if let setup { return try await setup.value }
        let task = Task { try await HLSEnvironment.make() }
        setup = task
        return try await task.value
    }

    static func make() async throws -> HLSEnv {
        let hint = "HLSTests need ffmpeg and ffprobe: run scripts/install-deps.sh test (CI does)"
        guard let ffmpeg = which("ffmpeg") else { throw TestFailure("ffmpeg is not on PATH. \(hint)") }
        guard let ffprobe = which("ffprobe") else { throw TestFailure("ffprobe is not on PATH. \(hint)") }

        // Fixtures: a directory per version of the script, reused by later runs.
        let script = HLSTests.repo.appendingPathComponent("scripts/hls-fixtures.sh")
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in try Data(contentsOf: script) { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let fixtures = FileManager.default.temporaryDirectory.appendingPathComponent("wharf-hls-fixtures-\(String(hash, radix: 16))")
        let made = try await HLSTests.tool(["/bin/bash", script.path, fixtures.path], timeout: .seconds(900))
        guard made.status == 0 else {
            throw TestFailure("scripts/hls-fixtures.sh exited \(made.status):\n\(made.stderr.suffix(3000))")
        }

        // Debian's python3 with python3-m3u8 (scripts/install-deps.sh test), not whatever
        // python3 comes first on PATH; HLS_CHECK_PYTHON overrides.
        let python = ProcessInfo.processInfo.environment["HLS_CHECK_PYTHON"] ?? "/usr/bin/python3"
        let probe = try await HLSTests.tool([python, "-c", "import m3u8"])
        guard probe.status == 0 else {
            throw TestFailure("\(python) cannot import m3u8 (apt-get install python3-m3u8, or scripts/install-deps.sh test):\n\(probe.stderr.suffix(2000))")
        }

        let client = try Client()
        let work = try CLITests.tempDir()
        let server = try await HLSServer.start(root: fixtures, work: work, client: client, removeWorkOnExit: true)
        return HLSEnv(ffmpeg: ffmpeg, ffprobe: ffprobe, python: python, fixtures: fixtures, server: server, client: client)
    }

    static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

/// `wharf serve --root <fixtures>` as a child process, in `work` (its wharf.toml, caches and log).
///
/// A bash watchdog runs it: the watchdog stops wharf when this test process is gone (so a shared
/// server never outlives the suite) and then removes `work` if asked to, and it forwards SIGTERM
/// for a graceful stop. The wharf.toml turns on Surrogate-Key headers so tags can be checked.
final class HLSServer: Sendable {
    let port: Int
    let adminPort: Int
    let work: URL
    let log: URL
    let process: Spawned
    var base: String { "http://127.0.0.1:\(port)" }
    var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    private init(port: Int, adminPort: Int, work: URL, log: URL, process: Spawned) {
        self.port = port
        self.adminPort = adminPort
        self.work = work
        self.log = log
        self.process = process
    }

    static let watchdog = #"""
        parent=$1 work=$2 rmdir=$3; shift 3
        cd "$work" || exit 1
        for v in $(compgen -e); do [[ $v == WHARF_* ]] && unset "$v"; done
        export WHARF_LOG_ACCESS=off
        "$@" & child=$!
        trap 'kill -TERM $child 2>/dev/null; wait $child; exit 0' TERM INT
        while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 0.5; done
        kill -TERM "$child" 2>/dev/null; wait "$child"; status=$?
        if [[ -n $rmdir ]] && ! kill -0 "$parent" 2>/dev/null; then rm -rf "$rmdir"; fi
        exit $status
        """#

    static func start(root: URL, work: URL, client: Client, removeWorkOnExit: Bool) async throws -> HLSServer {
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        try "[tags]\nheaders = [\"surrogate-key\"]\n".write(to: work.appendingPathComponent("wharf.toml"), atomically: true, encoding: .utf8)
        let port = freePort(), admin = freePort()
        let log = work.appendingPathComponent("wharf-\(UUID().uuidString).log")
        let process = try Spawned("/bin/bash", ["-c", watchdog, "hls-serve", "\(getpid())", work.path, removeWorkOnExit ? work.path : "",
                                                try CLITests.binary().path, "serve", "--root", root.path, "--config", "wharf.toml",
                                                "--listen", "127.0.0.1:\(port)", "--admin-listen", "127.0.0.1:\(admin)"],
                                  output: log.path)
        let server = HLSServer(port: port, adminPort: admin, work: work, log: log, process: process)
        for _ in 0..<400 {
            if let r = try? await client.get("http://127.0.0.1:\(admin)/readyz"), r.status == 200 { return server }
            if !server.isRunning { throw TestFailure("wharf serve exited before it was ready:\n\(server.logText.suffix(3000))") }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.stop()
        throw TestFailure("wharf serve was not ready within 20 s:\n\(server.logText.suffix(3000))")
    }

    /// Whether the watchdog (and so wharf) still runs. Reaps it when it has exited.
    var isRunning: Bool {
        var status: Int32 = 0
        return waitpid(process.pid, &status, WNOHANG) == 0
    }

    /// SIGTERM (wharf drains and exits), then SIGKILL to the whole group after 10 s.
    func stop() async {
        kill(process.pid, SIGTERM)
        for _ in 0..<200 {
            var status: Int32 = 0
            let r = waitpid(process.pid, &status, WNOHANG)
            if r == process.pid || (r == -1 && errno == ECHILD) { break }
            try? await Task.sleep(for: .milliseconds(50))
        }
        process.stop()
    }
}

extension String {
    var isBlank: Bool { trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
    var nonBlank: String? { isBlank ? nil : self }
}
