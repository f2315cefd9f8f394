import NIOCore
import NIOHTTP1
import WharfAssets
import WharfHTTP
import WharfImage

/// Either a reply now, or one that needs blocking work first (compressing a variant).
enum Outcome {
    case ready(Reply)
    case pending(EventLoopFuture<Reply>)
}

/// Answers static requests: routing by path, content negotiation, RFC 9110 preconditions and
/// ranges. Runs on the event loop; the common case (a 200 or 304 for a known path) touches only
/// prebuilt buffers.
///
/// A class, not a struct: it is reached through shared services on every request, and a struct
/// of this many references would be copied — every field retained and released — per call.
final class StaticResponder: Sendable {
    let site: StaticSite
    let compression: CompressionCache
    let pool: BlockingPool
    let maxRanges: Int
    let metrics: ServerMetrics
    /// Image transforms on image paths; nil serves images as plain files only.
    let images: ImageResponder?
    /// HLS packaging of MP4 files (`X.mp4/master.m3u8` & co.); nil: none.
    let hls: HLSResponder?
    /// Called when a file on disk no longer matches its catalog entry.
    let onStaleFile: @Sendable () -> Void

    init(site: StaticSite, compression: CompressionCache, pool: BlockingPool, maxRanges: Int, metrics: ServerMetrics,
         images: ImageResponder? = nil, hls: HLSResponder? = nil, onStaleFile: @escaping @Sendable () -> Void) {
        self.site = site
        self.compression = compression
        self.pool = pool
        self.maxRanges = maxRanges
        self.metrics = metrics
        self.images = images
        self.hls = hls
        self.onStaleFile = onStaleFile
    }

    static let allow = "GET, HEAD, OPTIONS"

    /// - Parameters:
    ///   - fields: the head's fields, read once by the connection handler when the head arrived.
    ///   - table: the site table; connections pass the one they cached (see ``TableCache``).
    func respond(_ head: HTTPRequestHead, _ fields: RequestFields, table: StaticSite.Table, on eventLoop: any EventLoop) -> Outcome {
        if head.version.major == 1, head.version.minor == 1, fields.hostCount != 1 {
            return .ready(.text(.badRequest, fields.hostCount == 0 ? "missing Host header" : "more than one Host header",
                                sendBody: head.method != .HEAD, close: true))
        }
        let isHead: Bool
        switch head.method {
        case .GET: isHead = false
        case .HEAD: isHead = true
        case .OPTIONS:
            var r = Reply(status: .noContent, fields: [("Allow", Self.allow)], body: [], sendBody: false)
            r.route = .static
            return .ready(r)
        default:
            return .ready(.text(.methodNotAllowed, "method not allowed", extra: [("Allow", Self.allow)]))
        }
        let uri = head.uri
        let (rawPath, q) = Self.splitTarget(uri)
        if Self.isLiteral(rawPath), let hit = table.assets[rawPath] {
            if let source = hit.imageFormat, let images {
                let query = q.map { String(uri[uri.utf8.index(after: $0)...]) }
                if let outcome = image(images, hit, source: source, path: rawPath, query: query, head, fields, isHead: isHead, on: eventLoop) {
                    return outcome
                }
            }
            return serve(hit, head, fields, isHead: isHead, on: eventLoop)
        }
        let target: RequestTarget
        do {
            target = try RequestTarget.parse(uri)
        } catch {
            if error.status == 404 { return .ready(notFound(table, path: rawPath, isHead: isHead)) }
            return .ready(.text(HTTPResponseStatus(statusCode: error.status), error.reason, sendBody: !isHead))
        }
        if let hit = table.assets[target.path] {
            if let source = hit.imageFormat, let images,
               let outcome = image(images, hit, source: source, path: target.path, query: target.query, head, fields, isHead: isHead, on: eventLoop) {
                return outcome
            }
            return serve(hit, head, fields, isHead: isHead, on: eventLoop)
        }
        if let hls, let answer = hls.route(target.path, table: table, isHead: isHead, on: eventLoop) {
            return hlsOutcome(answer, fields, isGet: head.method == .GET, isHead: isHead)
        }
        if !target.hasTrailingSlash, table.directories.contains(target.path) {
            var location = Self.percentEncode(path: target.segments) + "/"
            if let q = target.query { location += "?" + q }
            let policy = site.policy.notFoundDirectives(forPath: target.path)
            return .ready(.text(.movedPermanently, "moved to \(location)",
                                extra: [("Location", location)] + PreparedVariant.cacheFields(policy),
                                sendBody: !isHead, route: .static))
        }
        return .ready(notFound(table, path: target.path, isHead: isHead))
    }

    /// The hot case, answered without a ``Reply``: a `GET` over HTTP/1.1 for a known path (not an
    /// image the transform pipeline may take, not percent-encoded), without conditions or ranges,
    /// whose negotiated representation is held in memory or, when `files` is true, is a file on
    /// disk that is still the file that was hashed. Returns that representation, counted in the
    /// metrics as ``respond(_:_:table:on:)`` counts it, or nil for every other request, which
    /// `respond` answers. Where it returns a variant, `respond` answers a 200 of that same variant
    /// (a test holds the two to it): the connection then writes the variant's prebuilt response,
    /// or its prebuilt head and the file.
    ///
    /// - Parameter files: whether the caller sends file-backed variants itself (plaintext
    ///   HTTP/1.1, with `sendfile`); otherwise only in-memory ones are hot.
    func hotVariant(_ head: HTTPRequestHead, _ fields: RequestFields, table: StaticSite.Table, files: Bool = false) -> PreparedVariant? {
        guard head.method == .GET, head.version.major == 1, head.version.minor == 1, fields.hostCount == 1,
              fields.range == nil, !fields.hasPreconditions else { return nil }
        // The path as `respond` looks it up first, and the coding as `serve` negotiates it.
        let path = Self.splitTarget(head.uri).path
        guard Self.isLiteral(path), let asset = table.assets[path], asset.imageFormat == nil || images == nil,
              let coding = Self.coding(for: asset, acceptEncoding: fields.acceptEncoding) else { return nil }
        if let v = asset.variant(coding) {
            if v.memoryBody != nil {
                metrics.memoryHits.increment()
                return v
            }
            // A file that changed under its entry is left to `respond`, which answers 503 and
            // has the catalog rescan.
            guard files, v.fileUnchanged else { return nil }
            metrics.diskHits.increment()
            return v
        }
        guard let v = compression.cached(asset, coding), v.memoryBody != nil else { return nil }
        metrics.compressedHits.increment()
        metrics.memoryHits.increment()
        return v
    }

    /// A request-target's path part (before any `?`) and the index of its `?`.
    private static func splitTarget(_ uri: String) -> (path: String, query: String.Index?) {
        let q = uri.utf8.firstIndex(of: UInt8(ascii: "?"))
        return (q.map { String(uri[..<$0]) } ?? uri, q)
    }

    /// Whether a raw path is looked up as is: only when percent-decoding could not change it.
    private static func isLiteral(_ path: String) -> Bool {
        !path.utf8.contains { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "\\") || $0 >= 0x7F }
    }

    /// The coding `asset` is sent in for this `Accept-Encoding`, or nil when none is acceptable.
    private static func coding(for asset: PreparedAsset, acceptEncoding: String?) -> ContentCoding? {
        if acceptEncoding == nil && asset.br == nil && asset.gzip == nil && !asset.compressOnTheFly { return .identity }
        return AcceptEncoding.parse(acceptEncoding).select(from: asset.offered)
    }

    /// A transform (or a negotiated original), or nil when the query asks for none.
    private func image(_ images: ImageResponder, _ asset: PreparedAsset, source: ImageFormat, path: String, query: String?,
                       _ head: HTTPRequestHead, _ fields: RequestFields, isHead: Bool, on eventLoop: any EventLoop) -> Outcome? {
        let isGet = head.method == .GET
        switch images.respond(asset, source: source, path: path, rawQuery: query, accept: fields.accept, client: fields.client,
                              isHead: isHead, on: eventLoop) {
        case .notTransform:
            return nil
        case .reply(let r):
            return .ready(r)
        case .variant(let v):
            var r = serve(v, fields, isGet: isGet, isHead: isHead)
            r.route = .image
            return .ready(r)
        case .pending(let future, let negotiated):
            let onStaleFile = self.onStaleFile
            return .pending(future.map { [self] v in
                var r = serve(v, fields, isGet: isGet, isHead: isHead)
                r.route = .image
                return r
            }.recover { error in
                if error is ImageVariants.StaleSource { onStaleFile() }
                return images.error(error, path: path, isHead: isHead, negotiated: negotiated)
            })
        }
    }

    private func hlsOutcome(_ answer: HLSResponder.Answer, _ fields: RequestFields, isGet: Bool, isHead: Bool) -> Outcome {
        if case .pending(let future) = answer {
            return .pending(future.map { [self] in hlsReply($0, fields, isGet: isGet, isHead: isHead) })
        }
        return .ready(hlsReply(answer, fields, isGet: isGet, isHead: isHead))
    }

    private func hlsReply(_ answer: HLSResponder.Answer, _ fields: RequestFields, isGet: Bool, isHead: Bool) -> Reply {
        var r: Reply
        switch answer {
        case .reply(let reply):
            r = reply
            r.sendBody = r.sendBody && !isHead
        case .variant(let v):
            r = serve(v, fields, isGet: isGet, isHead: isHead)
        case .playlist(let p):
            guard let coding = AcceptEncoding.parse(fields.acceptEncoding).select(from: HLSPackage.Playlist.offered) else {
                return .text(.notAcceptable, "no acceptable content-coding (identity is excluded)",
                             extra: [("Vary", "Accept-Encoding")], sendBody: !isHead, route: .hls)
            }
            r = serve(p.variant(coding), fields, isGet: isGet, isHead: isHead)
        case .pending:
            r = .text(.internalServerError, "unexpected pending HLS answer", sendBody: !isHead)
        }
        r.route = .hls
        return r
    }

    private func notFound(_ table: StaticSite.Table, path: String, isHead: Bool) -> Reply {
        // A cached 404 carries the path's tags, so deploying the file and purging its path clears it.
        let cache = PreparedVariant.cacheFields(site.policy.notFoundDirectives(forPath: path)) + site.tagPolicy.fields(forPath: path)
        if let page = table.notFound?.identity, page.memoryBody != nil {
            var r = Reply(status: .notFound,
                          fields: [("Content-Type", page.contentType), ("Content-Length", String(page.length))] + cache,
                          body: page.segments(), sendBody: !isHead)
            r.route = .static
            return r
        }
        return .text(.notFound, "not found", extra: cache, sendBody: !isHead, route: .static)
    }

    /// Negotiates the coding, compressing on the fly when needed, then serves the variant.
    private func serve(_ asset: PreparedAsset, _ head: HTTPRequestHead, _ fields: RequestFields, isHead: Bool,
                       on eventLoop: any EventLoop) -> Outcome {
        guard let coding = Self.coding(for: asset, acceptEncoding: fields.acceptEncoding) else {
            var r = Reply.text(.notAcceptable, "no acceptable content-coding (identity is excluded)",
                               extra: [("Vary", "Accept-Encoding")], sendBody: !isHead)
            r.route = .static
            return .ready(r)
        }
        if let variant = asset.variant(coding) {
            return .ready(serve(variant, fields, isGet: head.method == .GET, isHead: isHead))
        }
        if let variant = compression.cached(asset, coding) {
            metrics.compressedHits.increment()
            return .ready(serve(variant, fields, isGet: head.method == .GET, isHead: isHead))
        }
        metrics.compressedMisses.increment()
        let isGet = head.method == .GET
        let future = compression.compress(asset, coding, pool: pool, on: eventLoop)
            .map { [self] variant in serve(variant, fields, isGet: isGet, isHead: isHead) }
            .recover { [self] error in
                if error is BlockingPool.Overloaded {
                    // Busy: the plain file is always a correct answer.
                    return serve(asset.identity, fields, isGet: isGet, isHead: isHead)
                }
                if error is CompressionCache.StaleSource {
                    onStaleFile()
                    return .text(.serviceUnavailable, "file is being changed; retry", extra: [("Retry-After", "1")],
                                 sendBody: !isHead, route: .static)
                }
                return .text(.internalServerError, "compression failed", sendBody: !isHead)
            }
        return .pending(future)
    }

    /// Preconditions, ranges, then the reply.
    func serve(_ v: PreparedVariant, _ fields: RequestFields, isGet: Bool, isHead: Bool) -> Reply {
        let rangeField = isGet ? fields.range : nil
        var applyRange = rangeField != nil
        if fields.hasPreconditions {
            let pre = Preconditions(ifMatch: fields.ifMatch, ifNoneMatch: fields.ifNoneMatch,
                                    ifModifiedSince: fields.ifModifiedSince,
                                    ifUnmodifiedSince: fields.ifUnmodifiedSince, ifRange: fields.ifRange)
            switch pre.evaluate(isGetOrHead: true, hasRange: rangeField != nil, etag: v.etag, lastModified: v.lastModified) {
            case .notModified:
                metrics.notModified.increment()
                var r = Reply(status: .notModified, fields: v.validatorFields, body: [], sendBody: false)
                r.prebuilt = v.http1Head304
                r.h2Fields = v.h2Fields304
                return r
            case .preconditionFailed:
                return .text(.preconditionFailed, "precondition failed", extra: v.errorFields, sendBody: !isHead, route: .static)
            case .proceed(let ok):
                applyRange = ok && rangeField != nil
            }
        }
        if !isFileFresh(v) {
            return .text(.serviceUnavailable, "file is being changed; retry", extra: [("Retry-After", "1")], sendBody: !isHead, route: .static)
        }
        if applyRange, let rangeField {
            switch RangeSelection.select(rangeField, length: v.length, maxRanges: maxRanges) {
            case .none:
                break
            case .single(let r):
                var fields = v.fields200
                Self.replace(&fields, "Content-Length", String(r.length))
                fields.append(("Content-Range", r.contentRange(completeLength: v.length)))
                return Reply(status: .partialContent, fields: fields, body: v.segments(offset: r.offset, length: r.length), sendBody: !isHead)
            case .multiple(let ranges):
                // A Content-Encoding would apply to the multipart body as a whole; rather than
                // send something clients misread, an encoded variant ignores multiple ranges.
                if v.coding != .identity { break }
                return multipart(v, ranges, isHead: isHead)
            case .unsatisfiable:
                return .text(.rangeNotSatisfiable, "range not satisfiable",
                             extra: [("Content-Range", "bytes */\(v.length)")] + v.errorFields, sendBody: !isHead, route: .static)
            case .rejected(let reason):
                return .text(.rangeNotSatisfiable, reason,
                             extra: [("Content-Range", "bytes */\(v.length)")] + v.errorFields, sendBody: !isHead, route: .static)
            }
        }
        if v.memoryBody != nil { metrics.memoryHits.increment() } else { metrics.diskHits.increment() }
        var r = Reply(status: .ok, fields: v.fields200, body: v.segments(), sendBody: !isHead)
        if isHead {
            r.prebuilt = v.http1Full200.getSlice(at: v.http1Full200.readerIndex, length: v.http1Head200Length)
        } else if v.memoryBody != nil {
            r.prebuilt = v.http1Full200
            r.prebuiltIncludesBody = true
            r.variant = v
        } else {
            r.prebuilt = v.http1Full200
            r.variant = v
        }
        r.h2Fields = v.h2Fields200
        return r
    }

    /// A file streamed from disk must still be the file that was hashed; an in-place rewrite
    /// would otherwise send new bytes under the old strong ETag.
    private func isFileFresh(_ v: PreparedVariant) -> Bool {
        if v.fileUnchanged { return true }
        onStaleFile()
        return false
    }

    /// `multipart/byteranges` (RFC 9110 §14.6).
    private func multipart(_ v: PreparedVariant, _ ranges: [ByteRange], isHead: Bool) -> Reply {
        let boundary = "wharf-" + String(UInt64.random(in: 1...UInt64.max), radix: 36)
        var body: [BodySegment] = []
        for (i, r) in ranges.enumerated() {
            var part = ByteBuffer()
            part.writeString(i == 0 ? "--" : "\r\n--")
            part.writeString(boundary)
            part.writeString("\r\nContent-Type: \(v.contentType)\r\nContent-Range: \(r.contentRange(completeLength: v.length))\r\n\r\n")
            body.append(.bytes(part))
            body.append(contentsOf: v.segments(offset: r.offset, length: r.length))
        }
        var tail = ByteBuffer()
        tail.writeString("\r\n--\(boundary)--\r\n")
        body.append(.bytes(tail))
        let length = body.reduce(0) { $0 + $1.count }
        var fields = v.fields200.filter { $0.0 != "Content-Type" && $0.0 != "Content-Length" }
        fields.insert(("Content-Type", "multipart/byteranges; boundary=\(boundary)"), at: 0)
        fields.insert(("Content-Length", String(length)), at: 1)
        return Reply(status: .partialContent, fields: fields, body: body, sendBody: !isHead)
    }

    static func replace(_ fields: inout [(String, String)], _ name: String, _ value: String) {
        if let i = fields.firstIndex(where: { $0.0 == name }) { fields[i].1 = value }
    }

    /// Percent-encodes decoded path segments for a `Location` header.
    static func percentEncode(path segments: [String]) -> String {
        var out = ""
        for s in segments {
            out += "/"
            for b in s.utf8 {
                switch b {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                     UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                     UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "!"), UInt8(ascii: "$"),
                     UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"),
                     UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"),
                     UInt8(ascii: "="), UInt8(ascii: ":"), UInt8(ascii: "@"):
                    out.unicodeScalars.append(Unicode.Scalar(b))
                default:
                    out += "%" + String(b >> 4, radix: 16, uppercase: true) + String(b & 0xf, radix: 16, uppercase: true)
                }
            }
        }
        return out.isEmpty ? "/" : out
    }
}
