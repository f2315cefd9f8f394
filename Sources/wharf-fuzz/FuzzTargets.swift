import WharfAssets
import WharfHTTP
import WharfImage
import WharfMedia
import WharfPurge
@_spi(Fuzzing) import WharfServer
import NIOCore
import NIOEmbedded
import NIOHTTP1

/// The fuzz targets: each takes one input and checks the invariants its parser promises, trapping
/// (which libFuzzer reports as a crash) when one does not hold. A parser that merely returns an
/// error for bad input is doing its job; a trap is a bug.
enum FuzzTargets {
    static let all: [String: @Sendable ([UInt8]) -> Void] = [
        "http1-head": http1Head,
        "request-target": requestTarget,
        "range": range,
        "accept-encoding": acceptEncoding,
        "accept": accept,
        "conditional": conditional,
        "transform-query": transformQuery,
        "glob": glob,
        "mp4": mp4,
        "purge-json": purgeJSON,
        "tags": tags,
        "toml": toml,
        "image": image,
    ]

    static func text(_ input: [UInt8]) -> String { String(decoding: input, as: UTF8.self) }

    /// The HTTP/1 fast-path head parser, differentially: a head it accepts must be exactly the
    /// head NIO's decoder (llhttp) makes of the same bytes, a bodiless request complete at the
    /// same byte, kept alive or not as llhttp says, and the fields it collects while parsing those
    /// of the finished head. (What it
    /// does not accept goes to NIO's decoder as it is.)
    static func http1Head(_ input: [UInt8]) {
        guard let (head, length, fieldsAgree, keepAlive) = FastHeadCheck.acceptedHead(input) else { return }
        precondition(fieldsAgree, "fields collected while parsing differ from the head's (or from the server mode's)")
        precondition(length <= input.count, "a head longer than the input")
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
        defer { _ = try? channel.finish() }
        var parts: [HTTPServerRequestPart] = []
        do {
            try channel.writeInbound(ByteBuffer(bytes: input[..<length]))
            while let p = try channel.readInbound(as: HTTPServerRequestPart.self) { parts.append(p) }
        } catch {
            preconditionFailure("NIO's decoder refuses a head the fast path accepted: \(error)")
        }
        guard parts.count == 2, case .head(let nioHead) = parts[0], case .end(nil) = parts[1] else {
            preconditionFailure("NIO's decoder makes \(parts) of a head the fast path took as one bodiless request")
        }
        precondition(nioHead == head, "heads differ: fast \(head) NIO \(nioHead)")
        precondition(keepAlive == nioHead.isKeepAlive, "keep-alive differs: fast \(keepAlive), llhttp \(nioHead.isKeepAlive)")
    }

    /// The path normaliser: an accepted target never leaves the root.
    static func requestTarget(_ input: [UInt8]) {
        guard let target = try? RequestTarget.parse(text(input)) else { return }
        for s in target.segments {
            precondition(!s.isEmpty && s != "." && s != "..", "segment \(s) accepted")
            precondition(!s.contains("/") && !s.contains("\\") && !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }),
                         "segment \(s) accepted")
        }
        precondition(target.path.hasBytePrefix("/"), "path \(target.path) does not start with /")
    }

    /// Range: whatever the header, the selected ranges lie inside the representation, ascending,
    /// disjoint, and no more than the limit.
    static func range(_ input: [UInt8]) {
        guard input.count >= 2 else { return }
        let length = Int(input[0]) << 8 | Int(input[1])
        switch RangeSelection.select(text(Array(input.dropFirst(2))), length: length, maxRanges: 16) {
        case .single(let r):
            precondition(r.offset >= 0 && r.length > 0 && r.offset + r.length <= length, "\(r) of \(length)")
        case .multiple(let rs):
            precondition(rs.count >= 2 && rs.count <= 16)
            var end = -1
            for r in rs {
                precondition(r.offset > end && r.length > 0 && r.offset + r.length <= length, "\(rs) of \(length)")
                end = r.offset + r.length
            }
        case .none, .unsatisfiable, .rejected:
            break
        }
    }

    static func acceptEncoding(_ input: [UInt8]) {
        let parsed = AcceptEncoding.parse(text(input))
        for c in [ContentCoding.br, .gzip, .identity] {
            let q = parsed.quality(of: c)
            precondition(q >= 0 && q <= 1, "q=\(q)")
        }
        if let chosen = parsed.select(from: [.br, .gzip, .identity]) {
            precondition(parsed.quality(of: chosen) > 0, "\(chosen) chosen at q=0")
        }
    }

    static func accept(_ input: [UInt8]) {
        let s = text(input)
        _ = AcceptMedia.parse(s).explicitlyAccepts("image/avif")
        _ = AcceptMedia.imageSupport(s)
    }

    /// Conditional headers: the input is split into the five fields by NUL bytes.
    static func conditional(_ input: [UInt8]) {
        let fields = input.split(separator: 0, maxSplits: 4, omittingEmptySubsequences: false).map { text(Array($0)) }
        func field(_ i: Int) -> String? { i < fields.count && !fields[i].isEmpty ? fields[i] : nil }
        _ = EntityTagCondition.parse(fields.first ?? "")
        if let date = field(2) { _ = HTTPDate.parse(date) }
        let p = Preconditions(ifMatch: field(0), ifNoneMatch: field(1), ifModifiedSince: field(2), ifUnmodifiedSince: field(3),
                              ifRange: field(4))
        for getOrHead in [true, false] {
            _ = p.evaluate(isGetOrHead: getOrHead, hasRange: true, etag: EntityTag("abc"), lastModified: 1_700_000_000)
        }
    }

    /// The transform query and its signature check: no crash, and a resolved spec is in bounds.
    static func transformQuery(_ input: [UInt8]) {
        let s = text(input)
        guard let query = try? TransformQuery.parse(s) else { return }
        var options = ImageOptions()
        options.signingKeys = [Array("0123456789abcdef".utf8)]
        if let spec = try? TransformSpec.resolve(query, options: options) {
            if let w = spec.targetWidth { precondition(w > 0 && w <= 65_535 * 8, "width \(w)") }
            if let h = spec.targetHeight { precondition(h > 0 && h <= 65_535 * 8, "height \(h)") }
            _ = URLSigner(keys: options.signingKeys).verify(String(s.prefix(64)), payload: spec.signingPayload(path: "/a.jpg"))
        }
    }

    /// Glob patterns (from wharf.toml) compiled and matched against a path from the same input.
    static func glob(_ input: [UInt8]) {
        let parts = input.split(separator: 0, maxSplits: 1, omittingEmptySubsequences: false)
        guard let pattern = try? GlobPattern(text(Array(parts[0]))) else { return }
        _ = pattern.matches(parts.count > 1 ? text(Array(parts[1])) : "/a/b.css")
    }

    /// The MP4 parser, segmenter, fragment and playlist writers on an in-memory file, with
    /// limits small enough that a hostile count is refused quickly.
    static func mp4(_ input: [UInt8]) {
        var limits = MediaLimits()
        limits.maxMetadataBytes = 1 << 20
        limits.maxSamples = 100_000
        limits.maxTopLevelBoxes = 10_000
        let source = BytesMediaSource(input)
        guard let movie = try? Movie.parse(source, limits: limits), let plan = try? Segmenter.plan(movie) else { return }
        _ = PlaylistWriter.media(plan)
        _ = FragmentWriter.initSegment(tracks: plan.tracks)
        for n in 1...min(plan.segments.count, 3) {
            _ = try? FragmentWriter.mediaSegment(sequence: UInt32(n), plan: plan, source: source)
        }
    }

    /// The purge API's body parser: an accepted purge respects every limit, holds only tags in
    /// the shared alphabet, and prefixes that are paths without a query.
    static func purgeJSON(_ input: [UInt8]) {
        var limits = PurgeLimits()
        limits.maxItems = 64
        limits.maxItemBytes = 512
        guard let request = try? PurgeRequest.parse(json: input, limits: limits) else { return }
        precondition(request.itemCount > 0 && request.itemCount <= limits.maxItems, "item count \(request.itemCount)")
        for tag in request.tags { precondition(SurrogateTags.isValid(tag), "tag \(tag) outside the alphabet") }
        for p in request.prefixes { precondition(p.hasBytePrefix("/") && !p.containsByte(UInt8(ascii: "?")), "prefix \(p)") }
        for u in request.urls { precondition(u.utf8.count <= limits.maxItemBytes, "url of \(u.utf8.count) bytes") }
        precondition(Set(request.tags).count == request.tags.count, "duplicate tags")
    }

    /// The tag encoder: any path gives at most 50 valid tags, "/" last, the path's own tag first,
    /// and every header encoding splits back into exactly those tags.
    static func tags(_ input: [UInt8]) {
        let parts = input.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false).map { text(Array($0)) }
        let path = "/" + parts[0]
        let build = parts.count > 1 ? parts[1] : nil
        let extra = parts.count > 2 ? parts[2].split(separator: " ").map { SurrogateTags.tag(for: String($0)) } : []
        let t = SurrogateTags.forPath(path, buildID: build, extra: extra).tags
        precondition(!t.isEmpty && t.count <= SurrogateTags.maxCount, "\(t.count) tags")
        // The path's own tag first, "/" (purge everything) last; for "/" itself only the latter.
        precondition(t.last == "/" && (path == "/" || t.first == SurrogateTags.tag(for: path)), "order \(t.prefix(2)) … \(t.last ?? "")")
        precondition(Set(t).count == t.count, "duplicate tags in \(t)")
        for tag in t { precondition(SurrogateTags.isValid(tag), "invalid tag \(tag)") }
        let tags = SurrogateTags(tags: t)
        for header in TagHeader.allCases {
            let encoded = header.encode(tags)
            let back: [String] = switch header {
            case .surrogateKey, .xkey: encoded.split(separator: " ").map(String.init)
            case .cacheTag, .edgeCacheTag: encoded.split(separator: ",").map(String.init)
            case .cacheGroups: encoded.split(separator: ",").map { String($0.trimmingCharacters(in: [" "]).dropFirst().dropLast()) }
            }
            precondition(back == t, "\(header) does not split back")
        }
    }

    /// `wharf.toml` (TOMLKit over toml++): any text either loads or is refused with a
    /// ConfigError naming a key; a loaded file re-applies to the same result.
    static func toml(_ input: [UInt8]) {
        var config = ServerConfiguration()
        do {
            try ConfigLoader.apply(toml: text(input), to: &config)
        } catch {
            precondition(!error.description.isEmpty, "an empty config error")
            return
        }
        precondition(config.limits.maxConnections >= 1 && config.limits.http2.maxResets >= 1, "a limit out of its range")
    }

    /// Any bytes through the image pipeline as the server runs it: the loader allow-list and the
    /// header limits, then (when they pass) a 64×64 cover crop to WebP. libvips' loaders are C
    /// and not instrumented for coverage here (OSS-Fuzz fuzzes them); what this finds is a source
    /// that gets past Wharf's limits and then traps, hangs or blows memory.
    static func image(_ input: [UInt8]) {
        var options = ImageOptions()
        options.maxSourcePixels = 4_000_000
        options.maxSourceBytes = 1 << 20
        options.timeout = 2
        let pipeline = ImagePipeline(options: options)
        guard (try? pipeline.probe(input)) != nil,
              let query = try? TransformQuery.parse("w=64&h=64&fit=cover"),
              let spec = try? TransformSpec.resolve(query, options: options) else { return }
        if let out = try? pipeline.render(input, spec: spec, format: .webp) {
            // Never upscaled: at most 64×64.
            precondition(out.width <= 64 && out.height <= 64 && out.width > 0 && !out.bytes.isEmpty, "rendered \(out.width)x\(out.height)")
        }
    }
}
