import WharfAssets
import WharfHTTP
import WharfImage
import WharfPurge

/// Everything `wharf serve` can be told. Every key has a default; `wharf.toml`, `WHARF_*`
/// environment variables and command-line flags override it, in that order.
public struct ServerConfiguration: Sendable {
    /// A host and port to bind.
    public struct Address: Sendable, Equatable, CustomStringConvertible {
        public var host: String
        public var port: Int
        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    /// Protective limits against slow, big and abusive clients.
    public struct Limits: Sendable {
        /// Longest request-target accepted (414 beyond).
        public var maxURIBytes = 8 * 1024
        /// Largest single header line (431 beyond).
        public var maxHeaderFieldBytes = 16 * 1024
        /// Largest header block in total (431 beyond).
        public var maxHeaderBytes = 64 * 1024
        /// Most header fields in one request (431 beyond).
        public var maxHeaderCount = 128
        /// Largest request body read and discarded (static GET/HEAD take none); beyond, the connection closes.
        public var maxRequestBodyBytes = 64 * 1024
        /// Seconds a client has to send a whole request head once it started one (408 beyond).
        public var headerReadTimeout = 10.0
        /// Seconds an idle keep-alive connection stays open.
        public var idleTimeout = 60.0
        /// Connections served at once; more are closed as soon as they are accepted.
        public var maxConnections = 10_000
        /// Ranges allowed in one Range header (416 beyond).
        public var maxRanges = 16
        /// Requests read ahead of their response on one HTTP/1.1 connection (pipelining).
        public var maxPipelinedRequests = 32
        /// Concurrent streams per HTTP/2 connection.
        public var http2MaxConcurrentStreams = 100
        /// HTTP/2 frame-flood limits, each applied per connection; over a limit the connection gets
        /// GOAWAY (ENHANCE_YOUR_CALM) and closes. Set explicitly rather than inherited from NIOHTTP2,
        /// whose defaults have changed between releases.
        public var http2 = HTTP2Limits()
        /// Seconds in-flight requests get to finish on shutdown before connections are cut.
        public var shutdownGrace = 30.0
        public init() {}
    }

    /// Per-connection HTTP/2 abuse limits (see ``Limits/http2``).
    public struct HTTP2Limits: Sendable, Equatable {
        /// RST_STREAM frames a client may send per ``rateWindow`` (rapid reset, CVE-2023-44487).
        public var maxResets = 200
        /// Streams the server may have to reset for protocol errors per ``rateWindow``.
        public var maxStreamErrors = 200
        /// PING, SETTINGS and PRIORITY frames a client may send per ``rateWindow``.
        public var maxControlFrames = 200
        /// Seconds over which the three counts above are taken.
        public var rateWindow = 30.0
        /// CONTINUATION frames in a row before a header block must end (CONTINUATION flood).
        public var maxContinuationFrames = 5
        /// Control-frame answers (PING/SETTINGS ACKs) queued for a client that does not read.
        public var maxBufferedControlFrames = 10_000
        /// Empty DATA frames in a row.
        public var maxEmptyDataFrames = 1
        /// Suspicious events (NIOHTTP2's "glitches") per connection, ever.
        public var maxGlitches = 200
        public init() {}
    }

    /// Caching of file bodies and compressed variants in memory.
    public struct Cache: Sendable {
        /// Files up to this size are held in memory.
        public var memoryMaxFileBytes = 64 * 1024
        /// Total memory for file bodies.
        public var memoryBudgetBytes = 256 * 1024 * 1024
        /// Memory for variants compressed on the fly (LRU).
        public var compressCacheBytes = 64 * 1024 * 1024
        /// Largest file compressed on the fly; bigger ones are served plain unless a sibling exists.
        public var compressMaxFileBytes = 8 * 1024 * 1024
        /// Seconds between re-scans of the root for changes.
        public var revalidateInterval = 1.0
        /// Ordered Cache-Control rules; first match wins.
        public var policy = CachePolicy()
        public init() {}
    }

    /// The image pipeline: its limits and encoders (``ImageOptions``), its pool and its caches.
    public struct Images: Sendable {
        public var options = ImageOptions()
        /// Threads running transforms; 0 means one per core.
        public var workers = 0
        /// Transforms queued or running before requests get 503 + Retry-After.
        public var queueLimit = 64
        /// Transforms in progress for one client address before it gets 429 + Retry-After (0: no limit).
        public var maxPerClient = 16
        /// Where transformed variants are kept across restarts; "off" keeps them in memory only.
        public var cacheDirectory = ".wharf-cache/images"
        /// Size bound of the on-disk result cache (least recently used out first).
        public var cacheBytes = 1 << 30
        /// Memory for hot variants (LRU).
        public var memoryCacheBytes = 64 << 20
        public init() {}
    }

    /// The purge API, its journal and the CDN providers it fans out to.
    public struct Purge: Sendable {
        /// Bearer tokens accepted by `POST /purge`; none: the API refuses every purge.
        public var tokens: [String] = []
        /// Where the journal (`purge.sqlite`) lives.
        public var stateDirectory = ".wharf"
        /// Retries, retention and request limits.
        public var options = PurgeService.Options()
        /// `[[purge.providers]]`, in order.
        public var providers: [any PurgeProvider] = []
        public init() {}
    }

    public var root = "public"
    public var listen = Address(host: "127.0.0.1", port: 8080)
    public var adminListen = Address(host: "127.0.0.1", port: 9080)
    /// Event-loop threads; 0 means one per core.
    public var eventLoopThreads = 0
    /// Threads for blocking work (compression, file reads under TLS).
    public var blockingThreads = 2
    /// Jobs waiting for a blocking thread before requests get 503 + Retry-After.
    public var blockingQueueLimit = 256
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?
    public var limits = Limits()
    public var cache = Cache()
    public var images = Images()
    /// `[build]`: what `wharf build` fingerprints and precompresses (nil: its defaults).
    public struct Build: Sendable {
        public var fingerprint: [String]?
        public var fingerprintExclude: [String]?
        public var compressMinRatio: Double?
        public var compressMinBytes: Int?
        public var images: [String]?
        public var imageWidths: [Int]?
        public var imageFormats: [String]?
        public var hls: [String]?
        public var hlsSegmentDuration: Double?
        public init() {}
    }
    public var build = Build()
    /// On-the-fly HLS packaging of MP4 files (`[hls]`).
    public var hls = HLSOptions()
    /// Surrogate tags: which CDN headers carry them, the build id, per-path rules.
    public var tags = TagPolicy()
    public var purge = Purge()
    /// Access log destination: "stdout", "stderr", "off" or a file path.
    public var accessLog = "stdout"
    /// Server log level: trace, debug, info, notice, warning, error, critical.
    public var logLevel = "info"

    public init() {}
}
