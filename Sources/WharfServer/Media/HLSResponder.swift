import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import WharfAssets
import WharfHTTP
import WharfMedia

/// HLS for MP4 files, packaged on the fly: `X.mp4/master.m3u8`, `X.mp4/index.m3u8`,
/// `X.mp4/init.mp4`, `X.mp4/seg-N.m4s`, and `D/master.m3u8` for a directory of renditions.
///
/// Parsing an MP4 and assembling segments run on the blocking pool; the packaged file (segment
/// map, playlists, init segment) and recent segments are kept in memory, bounded, so warm
/// requests are answered on the event loop. Concurrent requests for the same work share it.
final class HLSResponder: Sendable {
    let options: HLSOptions
    let pool: BlockingPool
    let policy: CachePolicy
    let logger: Logger

    private struct State {
        var packages: BoundedLRU<String, Result<HLSPackage, MediaError>>
        var segments: BoundedLRU<String, PreparedVariant>
        var masters: BoundedLRU<String, HLSPackage.Playlist>
        var inflight: [String: EventLoopFuture<Result<HLSPackage, MediaError>>] = [:]
        var inflightSegments: [String: EventLoopFuture<PreparedVariant>] = [:]
    }
    private let state: NIOLockedValueBox<State>

    init(options: HLSOptions, pool: BlockingPool, policy: CachePolicy, logger: Logger) {
        self.options = options
        self.pool = pool
        self.policy = policy
        self.logger = logger
        state = NIOLockedValueBox(State(packages: BoundedLRU(budget: options.packageCacheBytes),
                                        segments: BoundedLRU(budget: options.segmentCacheBytes),
                                        masters: BoundedLRU(budget: 16 << 20)))
    }

    enum Answer {
        case reply(Reply)
        case variant(PreparedVariant)
        case playlist(HLSPackage.Playlist)
        case pending(EventLoopFuture<Answer>)
    }

    /// The answer for `path` when it is an HLS URL of this site, else nil (not ours: 404 as usual).
    func route(_ path: String, table: StaticSite.Table, isHead: Bool, on eventLoop: any EventLoop) -> Answer? {
        guard options.enabled, let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return nil }
        let parent = String(path[..<slash])
        let name = path[path.index(after: slash)...]
        if let asset = table.assets[parent], asset.asset.contentType == "video/mp4" {
            switch name {
            case "master.m3u8": return package(asset, on: eventLoop) { .playlist($0.master) }
            case "index.m3u8": return package(asset, on: eventLoop) { .playlist($0.media) }
            case "init.mp4": return package(asset, on: eventLoop) { .variant($0.initSegment) }
            default:
                guard name.hasPrefix("seg-"), name.hasSuffix(".m4s"),
                      let n = Int(name.dropFirst(4).dropLast(4)), n >= 1, String(n) == name.dropFirst(4).dropLast(4) else {
                    return .reply(.text(.notFound, "not found", sendBody: !isHead, route: .hls))
                }
                return segment(asset, n, isHead: isHead, on: eventLoop)
            }
        }
        if name == "master.m3u8", table.directories.contains(parent) {
            return directoryMaster(parent, table: table, isHead: isHead, on: eventLoop)
        }
        return nil
    }

    // MARK: - packages

    private func key(_ asset: PreparedAsset) -> String { asset.asset.urlPath + "#" + asset.identity.etag.opaqueTag }

    /// The packaged file, from memory or parsed on the pool (once for concurrent requests).
    func packaged(_ asset: PreparedAsset, on eventLoop: any EventLoop) -> EventLoopFuture<Result<HLSPackage, MediaError>> {
        let key = key(asset)
        let (hit, running, promise) = state.withLockedValue { s -> (Result<HLSPackage, MediaError>?, EventLoopFuture<Result<HLSPackage, MediaError>>?, EventLoopPromise<Result<HLSPackage, MediaError>>?) in
            if let p = s.packages.get(key) { return (p, nil, nil) }
            if let f = s.inflight[key] { return (nil, f, nil) }
            let promise = eventLoop.makePromise(of: Result<HLSPackage, MediaError>.self)
            s.inflight[key] = promise.futureResult
            return (nil, nil, promise)
        }
        if let hit { return eventLoop.makeSucceededFuture(hit) }
        if let running { return running.hop(to: eventLoop) }
        let options = self.options, path = asset.asset.identity.filePath, logger = self.logger
        pool.submit(on: eventLoop) { () -> Result<HLSPackage, MediaError> in
            do throws(MediaError) {
                let source = try FileMediaSource(path: path)
                guard source.size == UInt64(asset.identity.length) else { throw MediaError.io("the file changed while being read; retry") }
                let stored = PlanStore(directory: options.cacheDirectory, sourceHash: asset.identity.etag.opaqueTag,
                                       target: options.segmentDuration)
                if let plan = stored?.load(limits: options.limits, sourceSize: source.size) {
                    return .success(HLSPackage(plan: plan, source: source, asset: asset))
                }
                let movie = try Movie.parse(source, limits: options.limits)
                let plan = try Segmenter.plan(movie, targetDuration: options.segmentDuration)
                stored?.save(plan, logger: logger)
                return .success(HLSPackage(plan: plan, source: source, asset: asset))
            } catch {
                logger.notice("cannot package for HLS", metadata: ["path": "\(asset.asset.urlPath)", "error": "\(error.message)"])
                return .failure(error)
            }
        }.whenComplete { [self] result in
            let value: Result<HLSPackage, MediaError>
            switch result {
            case .success(let v): value = v
            case .failure: value = .failure(MediaError(status: 503, "busy; retry"))
            }
            state.withLockedValue { s in
                s.inflight[key] = nil
                // A busy pool or a vanished file is not remembered; a verdict about the bytes is.
                if case .failure(let e) = value, e.status == 503 { return }
                s.packages.set(key, value, size: Self.cost(value))
            }
            promise!.succeed(value)
        }
        return promise!.futureResult
    }

    /// Memory a cached package holds, roughly: its samples and prebuilt responses.
    static func cost(_ value: Result<HLSPackage, MediaError>) -> Int {
        guard case .success(let p) = value else { return 256 }
        let samples = p.plan.tracks.reduce(0) { $0 + $1.samples.count }
        return 4096 + samples * 40 + p.plan.segments.count * 64 + p.media.identity.length * 3 + p.initSegment.length
    }

    private func package(_ asset: PreparedAsset, on eventLoop: any EventLoop, _ pick: @escaping @Sendable (HLSPackage) -> Answer) -> Answer {
        let future = packaged(asset, on: eventLoop).map { result -> Answer in
            switch result {
            case .success(let p): return pick(p)
            case .failure(let e): return .reply(self.error(e, asset: asset))
            }
        }
        return .pending(future)
    }

    private func segment(_ asset: PreparedAsset, _ n: Int, isHead: Bool, on eventLoop: any EventLoop) -> Answer {
        let segmentKey = key(asset) + "/\(n)"
        if let v = state.withLockedValue({ $0.segments.get(segmentKey) }) { return .variant(v) }
        let future = packaged(asset, on: eventLoop).flatMap { [self] result -> EventLoopFuture<Answer> in
            switch result {
            case .failure(let e):
                return eventLoop.makeSucceededFuture(.reply(error(e, asset: asset)))
            case .success(let p):
                guard n <= p.plan.segments.count else {
                    return eventLoop.makeSucceededFuture(.reply(.text(.notFound, "no segment \(n): this file has \(p.plan.segments.count)",
                                                                      sendBody: !isHead, route: .hls)))
                }
                return assemble(p, n, key: segmentKey, on: eventLoop).map { .variant($0) }.recover { e in
                    .reply(self.error((e as? MediaError) ?? MediaError(status: 503, "busy; retry"), asset: asset))
                }
            }
        }
        return .pending(future)
    }

    private func assemble(_ p: HLSPackage, _ n: Int, key: String, on eventLoop: any EventLoop) -> EventLoopFuture<PreparedVariant> {
        let (running, promise) = state.withLockedValue { s -> (EventLoopFuture<PreparedVariant>?, EventLoopPromise<PreparedVariant>?) in
            if let f = s.inflightSegments[key] { return (f, nil) }
            let promise = eventLoop.makePromise(of: PreparedVariant.self)
            s.inflightSegments[key] = promise.futureResult
            return (nil, promise)
        }
        if let running { return running.hop(to: eventLoop) }
        pool.submit(on: eventLoop) { () throws -> PreparedVariant in try p.segment(n) }.whenComplete { [self] result in
            state.withLockedValue { s in
                s.inflightSegments[key] = nil
                if case .success(let v) = result { s.segments.set(key, v, size: v.length) }
            }
            promise!.completeWith(result)
        }
        return promise!.futureResult
    }

    // MARK: - directories of renditions

    /// `D/master.m3u8`: one variant per rendition, as `D/hls.toml` lists them, else every MP4
    /// directly in `D` by name.
    private func directoryMaster(_ directory: String, table: StaticSite.Table, isHead: Bool, on eventLoop: any EventLoop) -> Answer {
        let prefix = directory + "/"
        guard let listFile = table.assets[prefix + "hls.toml"] else {
            let all = table.assets.values
                .filter { $0.asset.contentType == "video/mp4" && $0.asset.urlPath.hasPrefix(prefix)
                    && !$0.asset.urlPath.dropFirst(prefix.count).contains("/") }
                .sorted { $0.asset.urlPath < $1.asset.urlPath }
                .map { (asset: $0, name: Optional<String>.none) }
            guard !all.isEmpty else { return .reply(.text(.notFound, "no MP4 files in \(directory)/", sendBody: !isHead, route: .hls)) }
            return master(all, prefix: prefix, extraKey: "", extraTags: [], on: eventLoop)
        }
        let path = listFile.asset.identity.filePath
        let future = pool.submit(on: eventLoop) { () -> Result<RenditionList, MediaError> in
            do throws(MediaError) { return .success(try RenditionList.read(path: path)) } catch { return .failure(error) }
        }.flatMap { [self] result -> EventLoopFuture<Answer> in
            switch result {
            case .failure(let e):
                return eventLoop.makeSucceededFuture(.reply(error(e, asset: listFile)))
            case .success(let list):
                var renditions: [(asset: PreparedAsset, name: String?)] = []
                for entry in list.entries {
                    guard let asset = table.assets[prefix + entry.file], asset.asset.contentType == "video/mp4" else {
                        return eventLoop.makeSucceededFuture(.reply(error(.malformed("hls.toml: \(entry.file) is not an MP4 file in \(directory)/"),
                                                                          asset: listFile)))
                    }
                    renditions.append((asset, entry.name))
                }
                let answer = master(renditions, prefix: prefix, extraKey: listFile.identity.etag.opaqueTag,
                                    extraTags: listFile.tagFields, on: eventLoop)
                if case .pending(let f) = answer { return f }
                return eventLoop.makeSucceededFuture(answer)
            }
        }.recover { _ in .reply(.text(.serviceUnavailable, "busy; retry", extra: [("Retry-After", "1")], route: .hls)) }
        return .pending(future)
    }

    private func master(_ renditions: [(asset: PreparedAsset, name: String?)], prefix: String, extraKey: String,
                        extraTags: [(String, String)], on eventLoop: any EventLoop) -> Answer {
        let masterKey = renditions.map { key($0.asset) + "=" + ($0.name ?? "") }.joined(separator: "|") + "|" + extraKey
        if let m = state.withLockedValue({ $0.masters.get(masterKey) }) { return .playlist(m) }
        let futures = renditions.map { packaged($0.asset, on: eventLoop) }
        let future = EventLoopFuture.whenAllSucceed(futures, on: eventLoop).map { [self] results -> Answer in
            var variants: [PlaylistWriter.Variant] = []
            for (rendition, result) in zip(renditions, results) {
                switch result {
                case .success(let p):
                    let file = String(rendition.asset.asset.urlPath.dropFirst(prefix.count))
                    variants.append(.init(plan: p.plan, uri: Self.percentEncode(file) + "/index.m3u8", name: rendition.name))
                case .failure(let e):
                    return .reply(error(MediaError(status: e.status, "\(rendition.asset.asset.urlPath): \(e.message)"), asset: rendition.asset))
                }
            }
            let lastModified = renditions.map(\.asset.asset.lastModified).max() ?? 0
            let playlist = HLSPackage.Playlist(text: PlaylistWriter.multivariant(variants), lastModified: lastModified,
                                               directives: HLSPackage.playlistDirectives,
                                               tags: Self.mergeTags(renditions.flatMap(\.asset.tagFields) + extraTags))
            state.withLockedValue { $0.masters.set(masterKey, playlist, size: playlist.identity.length * 3 + 1024) }
            return .playlist(playlist)
        }
        return .pending(future)
    }

    /// One field per tag header holding every rendition's tags once, so purging any one file of
    /// a directory also purges its multivariant playlist.
    static func mergeTags(_ fields: [(String, String)]) -> [(String, String)] {
        var order: [String] = []
        var values: [String: [String]] = [:]
        for (name, value) in fields {
            let spaced = name.lowercased() == "surrogate-key" || name.lowercased() == "xkey"
            let items = value.split(separator: spaced ? " " : ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if values[name] == nil { order.append(name) }
            for item in items where !item.isEmpty && !values[name, default: []].contains(item) { values[name, default: []].append(item) }
        }
        return order.map { name in
            let spaced = name.lowercased() == "surrogate-key" || name.lowercased() == "xkey"
            let separator = spaced ? " " : name.lowercased() == "cache-groups" ? ", " : ","
            return (name, values[name]!.joined(separator: separator))
        }
    }

    static func percentEncode(_ segment: String) -> String {
        var out = ""
        for b in segment.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(UnicodeScalar(b))
            default:
                out += "%" + (b < 16 ? "0" : "") + String(b, radix: 16, uppercase: true)
            }
        }
        return out
    }

    /// A packaging error: its status and reason, cached briefly and tagged with the source's tags,
    /// so a purge of the fixed file clears it at the CDN.
    func error(_ e: MediaError, asset: PreparedAsset) -> Reply {
        let cache = e.status == 503 ? [("Retry-After", "1"), ("Cache-Control", "no-store")]
            : PreparedVariant.cacheFields(policy.notFoundDirectives(forPath: asset.asset.urlPath))
        return .text(HTTPResponseStatus(statusCode: e.status), e.message, extra: cache + asset.tagFields, route: .hls)
    }
}
