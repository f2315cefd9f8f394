import Foundation
import Atomics
import Logging
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL
import NIOTLS
import ServiceLifecycle
import Synchronization
import WharfAssets
import WharfHTTP
import WharfImage
import WharfPurge

/// `wharf serve`: the public listener (HTTP/1.1 and h2c on plaintext, or HTTP/1.1 and HTTP/2
/// via ALPN under TLS) and the admin listener, over a live asset catalog.
///
/// As a swift-service-lifecycle `Service`, it starts on `run()` and, on graceful shutdown
/// (SIGTERM/SIGINT in `wharf serve`), stops accepting, lets in-flight requests finish for up to
/// `limits.shutdown_grace` seconds, then closes what is left.
public final class WharfServer: Service, @unchecked Sendable {
    public let config: ServerConfiguration
    let logger: Logger
    let group: MultiThreadedEventLoopGroup
    let metrics: ServerMetrics
    let pool: BlockingPool
    /// Image transforms only: CPU-bound work gets its own bounded pool.
    let imagePool: BlockingPool
    /// The on-disk result cache, nil when `images.cache_dir` is "off".
    let imageCache: ResultCache?
    let catalog: AssetCatalog
    let site: StaticSite
    let services: ServerServices
    /// The purge journal and fan-out; nil when neither a token nor a provider is configured.
    public let purge: PurgeService?
    private var purgeTask: Task<Void, Never>?
    private let ready = ManagedAtomic(false)
    private let connections = ManagedAtomic(0)
    private let openChannels = OpenChannels()
    /// Released before the event loops stop: its deinit completes a promise on one of them.
    private var quiesce: ServerQuiescingHelper?
    private let sslContext: NIOSSLContext?
    private var channel: (any Channel)?
    private var adminChannel: (any Channel)?

    /// The bound public address (useful with port 0).
    public private(set) var localAddress: SocketAddress?
    public private(set) var adminAddress: SocketAddress?

    /// Loads the catalog (a full scan of the root) and prepares everything; binds nothing yet.
    public init(config: ServerConfiguration, logger: Logger) throws {
        self.config = config
        self.logger = logger
        if let cert = config.tlsCertificatePath, let key = config.tlsKeyPath {
            do {
                let certs = try NIOSSLCertificate.fromPEMFile(cert).map { NIOSSLCertificateSource.certificate($0) }
                var tls = TLSConfiguration.makeServerConfiguration(certificateChain: certs, privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
                tls.applicationProtocols = NIOHTTP2SupportedALPNProtocols
                sslContext = try NIOSSLContext(configuration: tls)
            } catch {
                throw ConfigError(key: "tls", problem: "cannot load certificate \(cert) / key \(key): \(error)")
            }
        } else if config.tlsCertificatePath != nil || config.tlsKeyPath != nil {
            throw ConfigError(key: "tls", problem: "both tls.cert and tls.key are needed")
        } else {
            sslContext = nil
        }
        Self.raiseOpenFileLimit()
        var options = CatalogOptions(root: config.root)
        options.memoryMaxFileBytes = config.cache.memoryMaxFileBytes
        options.memoryBudgetBytes = config.cache.memoryBudgetBytes
        options.revalidateInterval = config.cache.revalidateInterval
        do {
            catalog = try AssetCatalog(options: options, logger: logger)
        } catch {
            throw ConfigError(key: "root", problem: error.message)
        }
        let threads = config.eventLoopThreads == 0 ? System.coreCount : config.eventLoopThreads
        group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        quiesce = ServerQuiescingHelper(group: group)
        metrics = ServerMetrics()
        pool = BlockingPool(threads: config.blockingThreads, queueLimit: config.blockingQueueLimit)
        site = StaticSite(snapshot: catalog.snapshot, policy: config.cache.policy, tagPolicy: config.tags,
                          compressMaxFileBytes: config.cache.compressMaxFileBytes)
        let catalog = self.catalog
        let images = config.images
        imagePool = BlockingPool(threads: images.workers == 0 ? System.coreCount : images.workers, queueLimit: images.queueLimit)
        let disk: ResultCache?
        if images.cacheDirectory == "off" {
            disk = nil
        } else {
            do {
                let warned = Mutex(0.0)
                let log = logger
                disk = try ResultCache(directory: images.cacheDirectory, maxBytes: images.cacheBytes) { [metrics] reason in
                    metrics.imageCacheWriteErrors.increment()
                    // Once a minute at most: a full disk fails every write.
                    let now = Date().timeIntervalSince1970
                    guard warned.withLock({ last in
                        guard now - last >= 60 else { return false }
                        last = now
                        return true
                    }) else { return }
                    log.warning("image result cache: cannot store variants; serving them uncached", metadata: [
                        "images.cache_dir": "\(images.cacheDirectory)", "error": "\(reason)"])
                }
            } catch where images.cacheDirectory == ServerConfiguration.Images().cacheDirectory {
                // The default is relative to the working directory, which may be read-only (a
                // service started in /): run without the disk cache rather than not at all.
                logger.warning("image result cache disabled: cannot create the default directory", metadata: [
                    "images.cache_dir": "\(images.cacheDirectory)", "error": "\(error)"])
                disk = nil
            } catch {
                throw ConfigError(key: "images.cache_dir", problem: "cannot use \(images.cacheDirectory): \(error)")
            }
        }
        imageCache = disk
        let variants = ImageVariants(pipeline: ImagePipeline(options: images.options), pool: imagePool, disk: disk,
                                     memoryBudget: images.memoryCacheBytes, metrics: metrics)
        let imageResponder = ImageResponder(options: images.options, variants: variants, policy: config.cache.policy,
                                            tagPolicy: config.tags, metrics: metrics, logger: logger,
                                            maxPerClient: images.maxPerClient)
        let responder = StaticResponder(
            site: site, compression: CompressionCache(budget: config.cache.compressCacheBytes), pool: pool,
            maxRanges: config.limits.maxRanges, metrics: metrics, images: imageResponder,
            hls: HLSResponder(options: config.hls, pool: pool, policy: config.cache.policy, logger: logger), onStaleFile: {
                // Re-hash soon, off the event loop.
                catalog.requestRescan()
            })
        do {
            try Vips.initialize()
        } catch {
            throw ConfigError(key: "images", problem: error.description)
        }
        let accessLog: AccessLog?
        switch config.accessLog {
        case "off": accessLog = nil
        default: accessLog = try AccessLog(destination: config.accessLog)
        }
        let pool = self.pool, group = self.group
        purge = try Self.makePurgeService(config: config, logger: logger, metrics: metrics) { request in
            await Self.applyLocally(request, tags: config.tags, responder: responder, variants: variants, disk: disk,
                                    catalog: catalog, pool: pool, eventLoop: group.next())
        }
        services = ServerServices(config: config, responder: responder, pool: pool, metrics: metrics, accessLog: accessLog,
                                  served: purge?.recorder)
        metrics.catalogAssets.set(catalog.snapshot.assets.count)
        let site = self.site
        let metrics = self.metrics
        catalog.onUpdate { snapshot in
            site.update(snapshot)
            metrics.catalogAssets.set(snapshot.assets.count)
        }
    }

    /// Binds both listeners and starts watching the root. A listener that cannot bind is a
    /// ``ConfigError`` naming `listen` or `admin_listen`.
    public func start() async throws {
        let services = self.services
        let config = self.config
        let sslContext = self.sslContext
        let connections = self.connections
        let openChannels = self.openChannels
        let metrics = self.metrics
        let ready = self.ready
        let group = self.group
        let purgeAPI = PurgeAPI(service: purge, tokens: config.purge.tokens)
        let maxBody = config.purge.options.limits.maxBodyBytes
        let admin = try await Self.bind("admin_listen", config.adminListen) { try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [metrics, ready] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(
                        AdminHandler(metrics: metrics, purge: purgeAPI, maxBodyBytes: maxBody,
                                     isReady: { ready.load(ordering: .relaxed) }))
                }
            }
            .bind(host: config.adminListen.host, port: config.adminListen.port).get() }
        adminChannel = admin
        adminAddress = admin.localAddress

        let ch = try await Self.bind("listen", config.listen) { try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { [quiesce = quiesce!] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiesce.makeServerChannelHandler(channel: channel))
                }
            }
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                // Connection cap: close at once beyond it, before any parsing.
                if connections.loadThenWrappingIncrement(ordering: .relaxed) >= config.limits.maxConnections {
                    connections.wrappingDecrement(ordering: .relaxed)
                    metrics.rejectedConnections.increment()
                    return channel.close()
                }
                metrics.openConnections.increment()
                openChannels.add(channel)
                channel.closeFuture.whenComplete { _ in
                    connections.wrappingDecrement(ordering: .relaxed)
                    metrics.openConnections.decrement()
                }
                return channel.eventLoop.makeCompletedFuture {
                    try Self.configureConnection(channel, services: services, sslContext: sslContext)
                }
            }
            .bind(host: config.listen.host, port: config.listen.port).get() }
        channel = ch
        localAddress = ch.localAddress
        catalog.startWatching()
        if let purge {
            purgeTask = Task { await purge.run() }
        }
        ready.store(true, ordering: .relaxed)
        logger.info("wharf serving", metadata: [
            "root": "\(config.root)", "listen": "\(ch.localAddress.map { "\($0)" } ?? "?")",
            "admin": "\(admin.localAddress.map { "\($0)" } ?? "?")", "tls": "\(sslContext != nil)",
            "assets": "\(catalog.snapshot.assets.count)",
        ])
    }

    /// Runs a bind, turning its failure into an error that names the setting.
    private static func bind(_ key: String, _ address: ServerConfiguration.Address,
                             _ body: () async throws -> any Channel) async throws -> any Channel {
        do {
            return try await body()
        } catch {
            throw ConfigError(key: key, problem: "cannot listen on \(address): \(error)")
        }
    }

    /// Per-connection pipeline.
    static func configureConnection(_ channel: any Channel, services: ServerServices, sslContext: NIOSSLContext?) throws {
        let limits = services.config.limits
        let sync = channel.pipeline.syncOperations
        if let sslContext {
            try sync.addHandler(NIOSSLServerHandler(context: sslContext))
            // Closes connections that never finish the handshake or never pick a protocol.
            let guardTask = channel.eventLoop.scheduleTask(in: .seconds(Int64(limits.headerReadTimeout.rounded(.up)))) {
                channel.close(promise: nil)
            }
            channel.closeFuture.whenComplete { _ in guardTask.cancel() }
            let quiesceGuard = CloseOnQuiesce()
            try sync.addHandler(ApplicationProtocolNegotiationHandler { result, channel in
                guardTask.cancel()
                return channel.eventLoop.makeCompletedFuture {
                    channel.pipeline.syncOperations.removeHandler(quiesceGuard, promise: nil)
                    switch result {
                    case .negotiated("h2"):
                        try configureHTTP2(channel, services: services)
                    default:
                        try configureHTTP1(channel, services: services, isTLS: true)
                    }
                }
            })
            try sync.addHandler(quiesceGuard)
        } else {
            // A new connection must start its first request within the header timeout, as under
            // TLS (nginx's client_header_timeout also runs from the accept): one that connects and
            // sends nothing is a slowloris socket, not an idle keep-alive one.
            let first = min(limits.headerReadTimeout, limits.idleTimeout)
            let idle = channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(first * 1e9))) {
                channel.close(promise: nil)
            }
            channel.closeFuture.whenComplete { _ in idle.cancel() }
            try sync.addHandler(ProtocolSniffer(
                http1: { ch in
                    idle.cancel()
                    try configureHTTP1(ch, services: services, isTLS: false)
                },
                http2: { ch in
                    idle.cancel()
                    try configureHTTP2(ch, services: services)
                }))
        }
    }

    static func configureHTTP1(_ channel: any Channel, services: ServerServices, isTLS: Bool) throws {
        let limits = services.config.limits
        let clock = ConnectionClock(idleTimeout: .nanoseconds(Int64(limits.idleTimeout * 1e9)),
                                    headerReadTimeout: .nanoseconds(Int64(limits.headerReadTimeout * 1e9)))
        var decoderLimits = NIOHTTPDecoderLimitConfiguration()
        decoderLimits.maxHeaderFieldSize = limits.maxHeaderFieldBytes
        decoderLimits.maxHeaderListSize = limits.maxHeaderBytes
        decoderLimits.maxHeaderFieldCount = limits.maxHeaderCount
        let sync = channel.pipeline.syncOperations
        let decoder = HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, informationalResponseStrategy: .drop,
                                         limitConfiguration: decoderLimits)
        // NIO's decoder consumes as it parses; its buffer bound only bites if parsing stops with bytes queued.
        let handler = HTTP1Handler(services: services, clock: clock, isTLS: isTLS)
        try sync.addHandler(FastRequestDecoder(decoder, clock: clock, sink: handler, keepsHeaders: false,
                                               keepsUserAgent: services.accessLog != nil, maxHeaderBytes: limits.maxHeaderBytes,
                                               maxHeaderFieldBytes: limits.maxHeaderFieldBytes,
                                               maxHeaderCount: limits.maxHeaderCount,
                                               maximumBufferSize: max(1 << 20, 2 * limits.maxHeaderBytes)))
        try sync.addHandler(handler)
    }

    static func configureHTTP2(_ channel: any Channel, services: ServerServices) throws {
        let limits = services.config.limits
        let sync = channel.pipeline.syncOperations
        let manager = NIOHTTP2ServerConnectionManagementHandler(
            eventLoop: channel.eventLoop,
            configuration: .init(maxIdleTime: .nanoseconds(Int64(limits.idleTimeout * 1e9)), maxAge: nil,
                                 maxGraceTime: .nanoseconds(Int64(limits.shutdownGrace * 1e9)), keepalive: nil))
        var connection = NIOHTTP2Handler.ConnectionConfiguration()
        connection.initialSettings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: limits.http2MaxConcurrentStreams),
            HTTP2Setting(parameter: .maxHeaderListSize, value: limits.maxHeaderBytes),
            HTTP2Setting(parameter: .initialWindowSize, value: 1 << 20),
        ]
        let h2 = limits.http2
        let window = TimeAmount.nanoseconds(Int64(h2.rateWindow * 1e9))
        connection.maximumSequentialContinuationFrames = h2.maxContinuationFrames
        connection.maximumBufferedControlFrames = h2.maxBufferedControlFrames
        connection.maximumSequentialEmptyDataFrames = h2.maxEmptyDataFrames
        connection.maximumConnectionGlitches = h2.maxGlitches
        connection.controlFrameRateLimit.maximumCount = h2.maxControlFrames
        connection.controlFrameRateLimit.windowLength = window
        var stream = NIOHTTP2Handler.StreamConfiguration()
        stream.targetWindowSize = 1 << 20
        stream.streamResetFrameRateLimit.maximumCount = h2.maxResets
        stream.streamResetFrameRateLimit.windowLength = window
        stream.streamErrorRateLimit.maximumCount = h2.maxStreamErrors
        stream.streamErrorRateLimit.windowLength = window
        // Ahead of NIOHTTP2Handler: it sees the frames as bytes, and so the GOAWAYs that end the connection.
        try sync.addHandler(ErrorGoAwayCloser())
        _ = try sync.configureHTTP2Pipeline(
            mode: .server, connectionConfiguration: connection, streamConfiguration: stream,
            streamDelegate: manager.http2StreamDelegate
        ) { streamChannel in
            streamChannel.eventLoop.makeCompletedFuture {
                try streamChannel.pipeline.syncOperations.addHandlers([
                    HTTP2FramePayloadToHTTP1ServerCodec(),
                    HTTP2StreamHandler(services: services),
                ])
            }
        }
        // Frames, not bytes: the manager (GOAWAY on quiesce, idle close) sits behind the codec.
        try sync.addHandler(manager)
    }

    /// Stops accepting, drains in-flight requests for up to `shutdownGrace` seconds, then stops.
    public func shutdown() async {
        ready.store(false, ordering: .relaxed)
        catalog.stop()
        let drained = group.next().makePromise(of: Void.self)
        if let quiesce {
            quiesce.initiateShutdown(promise: drained)
        } else {
            drained.succeed(()) // never started
        }
        let grace = TimeAmount.nanoseconds(Int64(config.limits.shutdownGrace * 1e9))
        let timeout = group.next().scheduleTask(in: grace) { drained.fail(ChannelError.ioOnClosedChannel) }
        do {
            try await drained.futureResult.get()
            logger.info("drained all connections")
        } catch {
            logger.warning("shutdown grace expired; closing remaining connections", metadata: ["open": "\(openChannels.count)"])
            await openChannels.closeAll()
        }
        timeout.cancel()
        quiesce = nil
        try? await adminChannel?.close()
        if let purge {
            purgeTask?.cancel()
            await purgeTask?.value
            await purge.shutdown()
        }
        services.accessLog?.stop()
        await pool.shutdown()
        await imagePool.shutdown()
        imageCache?.flush()
        try? await group.shutdownGracefully()
    }

    /// Runs until graceful shutdown (swift-service-lifecycle), then drains.
    public func run() async throws {
        try await start()
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Opens the journal and builds the purge service when a token or a provider is configured.
    static func makePurgeService(config: ServerConfiguration, logger: Logger, metrics: ServerMetrics,
                                 localEffect: @escaping @Sendable (PurgeRequest) async -> Void) throws -> PurgeService? {
        let p = config.purge
        guard !p.tokens.isEmpty || !p.providers.isEmpty else { return nil }
        let journal: PurgeJournal
        do {
            journal = try PurgeJournal(directory: p.stateDirectory)
        } catch {
            throw ConfigError(key: "purge.state_dir", problem: "cannot open the purge journal in \(p.stateDirectory): \(error)")
        }
        var observer = PurgeService.Observer()
        observer.accepted = { metrics.purgesAccepted.increment() }
        observer.attempted = { provider, state, seconds in
            metrics.purgeAttempt(provider: provider, outcome: state == .pending ? "retry" : state.rawValue, seconds: seconds)
        }
        observer.backlog = { counts in
            for (state, meter) in metrics.purgeDeliveries { meter.set(counts[DeliveryState(rawValue: state)!] ?? 0) }
        }
        let tags = config.tags
        return PurgeService(journal: journal, providers: p.providers, options: p.options, tags: { tags.tags(forPath: $0) },
                            observer: observer, logger: logger, localEffect: localEffect)
    }

    /// A purge's effect on this origin: cached compressed and transformed variants of the matched
    /// paths are dropped (transformed ones from disk too), and the root is re-scanned with those
    /// files hashed again, so that the CDNs, purged next, refetch the current bytes.
    static func applyLocally(_ request: PurgeRequest, tags: TagPolicy, responder: StaticResponder, variants: ImageVariants,
                             disk: ResultCache?, catalog: AssetCatalog, pool: BlockingPool, eventLoop: any EventLoop) async {
        let matcher = PurgeMatcher(request, tags: { tags.tags(forPath: $0) })
        responder.compression.drop(where: matcher.matches)
        let names = variants.drop(where: matcher.matches)
        let rescan: @Sendable () -> Void = {
            for name in names { disk?.remove(name) }
            catalog.rescan(rehash: matcher.matches)
        }
        do {
            try await pool.submit(on: eventLoop, rescan).get()
        } catch {
            // The pool is saturated: do it on a thread of its own rather than skip it.
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                Thread { rescan(); c.resume() }.start()
            }
        }
    }

    /// Static files answered from memory need no descriptors, but streamed ones keep one open
    /// each: lift the soft limit to the hard one, as nginx's worker_rlimit_nofile would.
    static func raiseOpenFileLimit() {
        var rl = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &rl) == 0, rl.rlim_cur < rl.rlim_max {
            rl.rlim_cur = rl.rlim_max
            _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &rl)
        }
    }
}
