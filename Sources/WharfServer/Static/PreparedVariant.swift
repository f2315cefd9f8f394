import NIOCore
import NIOHTTP1
import WharfAssets
import WharfHTTP

/// One representation with everything a response needs computed ahead of time: the header
/// fields, their HTTP/1.1 serialization for 200 and 304, the HTTP/2 header lists, and for small
/// files the body bytes right behind the 200 header block.
final class PreparedVariant: Sendable {
    let coding: ContentCoding
    let etag: EntityTag
    let lastModified: Int64
    let contentType: String
    let length: Int
    /// Memory body (nil when the bytes stream from `file`).
    let memoryBody: ByteBuffer?
    let file: OpenFile?
    let fileIdentity: FileIdentity?
    /// Fields every response about this representation repeats (ETag, Last-Modified, caching, Vary).
    let validatorFields: [(String, String)]
    /// Validators only, for 412 and 416: their answers are about this representation but must
    /// not be cached under its long lifetimes.
    var errorFields: [(String, String)] {
        [("ETag", etag.headerValue), ("Last-Modified", HTTPDate.format(lastModified)), ("Cache-Control", "no-store")]
    }
    /// Full 200 field list (representation metadata plus validators).
    let fields200: [(String, String)]
    /// Serialized 200 header lines + empty line (+ body when in memory).
    let http1Full200: ByteBuffer
    let http1Head200Length: Int
    /// Serialized 304 header lines + empty line.
    let http1Head304: ByteBuffer
    let h2Fields200: HTTPHeaders
    let h2Fields304: HTTPHeaders
    /// The whole body as segments, built once.
    let fullBody: [BodySegment]

    init(coding: ContentCoding, etag: EntityTag, lastModified: Int64, contentType: String, length: Int,
         memoryBody: ByteBuffer?, file: OpenFile?, fileIdentity: FileIdentity?,
         compressible: Bool, directives: CacheDirectives, vary: String? = nil, tags: [(String, String)] = []) {
        self.coding = coding
        self.etag = etag
        self.lastModified = lastModified
        self.contentType = contentType
        self.length = length
        self.memoryBody = memoryBody
        self.file = file
        self.fileIdentity = fileIdentity

        var validators: [(String, String)] = [
            ("ETag", etag.headerValue),
            ("Last-Modified", HTTPDate.format(lastModified)),
        ]
        validators.append(contentsOf: Self.cacheFields(directives))
        // Every response of a negotiable resource says it varies, the plain one included,
        // or a shared cache may hand compressed bytes to a client that did not ask for them.
        // Image variants chosen from `Accept` say so too (`vary`).
        switch (compressible, vary) {
        case (true, let v?): validators.append(("Vary", "Accept-Encoding, " + v))
        case (true, nil): validators.append(("Vary", "Accept-Encoding"))
        case (false, let v?): validators.append(("Vary", v))
        case (false, nil): break
        }
        // Surrogate tags also on 304s: Fastly and Varnish refresh a revalidated object's headers.
        validators.append(contentsOf: tags)
        self.validatorFields = validators

        var f: [(String, String)] = [
            ("Content-Type", contentType),
            ("Content-Length", String(length)),
        ]
        if coding != .identity { f.append(("Content-Encoding", coding.rawValue)) }
        f.append(contentsOf: validators)
        f.append(("Accept-Ranges", "bytes"))
        f.append(("X-Content-Type-Options", "nosniff"))
        self.fields200 = f

        var full = Self.serialize(f)
        self.http1Head200Length = full.readableBytes
        if var body = memoryBody { full.writeBuffer(&body) }
        self.http1Full200 = full
        self.http1Head304 = Self.serialize(validators)
        self.h2Fields200 = HTTPHeaders(f.map { ($0.0.lowercased(), $0.1) })
        self.h2Fields304 = HTTPHeaders(validators.map { ($0.0.lowercased(), $0.1) })
        if let memoryBody {
            self.fullBody = [.bytes(memoryBody)]
        } else {
            self.fullBody = [.file(file!, offset: 0, length: length)]
        }
    }

    static func cacheFields(_ d: CacheDirectives) -> [(String, String)] {
        var out: [(String, String)] = []
        if let cc = d.cacheControl { out.append(("Cache-Control", cc)) }
        if let cdn = d.cdnCacheControl { out.append(("CDN-Cache-Control", cdn)) }
        if let sc = d.surrogateControl { out.append(("Surrogate-Control", sc)) }
        if let seconds = d.accelExpires { out.append(("X-Accel-Expires", String(seconds))) }
        return out
    }

    static func serialize(_ fields: [(String, String)]) -> ByteBuffer {
        var b = ByteBuffer()
        b.reserveCapacity(fields.reduce(2) { $0 + $1.0.utf8.count + $1.1.utf8.count + 4 })
        for (name, value) in fields {
            b.writeString(name)
            b.writeStaticString(": ")
            b.writeString(value)
            b.writeStaticString("\r\n")
        }
        b.writeStaticString("\r\n")
        return b
    }

    /// Whether a variant streamed from disk still reads the file that was hashed (one `fstat`):
    /// an in-place rewrite would otherwise send new bytes under the old strong ETag. True for
    /// variants held in memory.
    var fileUnchanged: Bool {
        guard let file, let fileIdentity else { return true }
        guard let now = try? file.identity() else { return false }
        return now == fileIdentity
    }

    /// The body as segments covering `range` (or everything).
    func segments(offset: Int = 0, length: Int? = nil) -> [BodySegment] {
        if offset == 0 && (length == nil || length == self.length) { return fullBody }
        let length = length ?? self.length
        if let memoryBody {
            return [.bytes(memoryBody.getSlice(at: memoryBody.readerIndex + offset, length: length)!)]
        }
        return [.file(file!, offset: offset, length: length)]
    }

    /// A prepared variant built from an asset's variant.
    static func from(_ asset: Asset, _ v: AssetVariant, directives: CacheDirectives, vary: String? = nil,
                     tags: [(String, String)] = []) -> PreparedVariant {
        var memory: ByteBuffer?
        var file: OpenFile?
        switch v.body {
        case .memory(let bytes): memory = ByteBuffer(bytes: bytes)
        case .file(let f): file = f
        }
        return PreparedVariant(coding: v.coding, etag: v.etag, lastModified: asset.lastModified,
                               contentType: asset.contentType, length: v.length, memoryBody: memory,
                               file: file, fileIdentity: v.fileIdentity,
                               compressible: asset.isCompressible, directives: directives, vary: vary, tags: tags)
    }
}
