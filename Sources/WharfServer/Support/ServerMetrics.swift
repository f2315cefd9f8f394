import CoreMetrics
import Metrics
import Prometheus

/// The server's metrics, created once through a Prometheus factory and served at the admin
/// listener's `/metrics`. Counters per route and status class are created up front so the hot
/// path only increments.
final class ServerMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    private let requests: [[CoreMetrics.Counter]]   // [route][status class 1...5]
    private let bytes: [CoreMetrics.Counter]
    /// Swift-prometheus' histogram itself, not through a `CoreMetrics.Timer`: recorded per request,
    /// and the Timer adds an existential call and a conversion.
    private let latency: DurationHistogram
    let memoryHits: CoreMetrics.Counter
    let diskHits: CoreMetrics.Counter
    let compressedHits: CoreMetrics.Counter
    let compressedMisses: CoreMetrics.Counter
    let notModified: CoreMetrics.Counter
    let openConnections: CoreMetrics.Meter
    let rejectedConnections: CoreMetrics.Counter
    let catalogAssets: CoreMetrics.Meter

    /// Image variant answers by where they came from.
    struct ImageLookups: Sendable {
        let memory, disk, transformed, coalesced: CoreMetrics.Counter
    }
    struct ImageTransforms: Sendable {
        let ok, failed: CoreMetrics.Counter
    }
    let imageLookups: ImageLookups
    /// Pipeline runs (one per distinct output, however many requests wanted it).
    let imageTransforms: ImageTransforms
    let imageTransformDuration: CoreMetrics.Timer
    /// 503s because the image pool's queue was full.
    let imageRejected: CoreMetrics.Counter
    /// Variants that could not be stored in the on-disk result cache (a full disk).
    let imageCacheWriteErrors: CoreMetrics.Counter
    /// Purges accepted by the API.
    let purgesAccepted: CoreMetrics.Counter
    /// Deliveries by state (pending, done, failed) in the journal.
    let purgeDeliveries: [String: CoreMetrics.Meter]
    let purgeAttemptDuration: CoreMetrics.Timer
    private let factory: PrometheusMetricsFactory

    init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500),
            .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
            .seconds(2.5), .seconds(5), .seconds(10),
        ]
        requests = RouteKind.allCases.map { route in
            (1...5).map { cls in
                Counter(label: "wharf_http_requests_total",
                        dimensions: [("route", route.rawValue), ("status_class", "\(cls)xx")], factory: factory)
            }
        }
        bytes = RouteKind.allCases.map { route in
            Counter(label: "wharf_http_response_body_bytes_total", dimensions: [("route", route.rawValue)], factory: factory)
        }
        latency = registry.makeDurationHistogram(name: "wharf_http_request_duration_seconds",
                                                  buckets: factory.defaultDurationHistogramBuckets)
        // Full 200s by where the body came from: the in-memory cache or a file streamed from disk.
        memoryHits = Counter(label: "wharf_static_full_responses_total", dimensions: [("source", "memory")], factory: factory)
        diskHits = Counter(label: "wharf_static_full_responses_total", dimensions: [("source", "disk")], factory: factory)
        compressedHits = Counter(label: "wharf_compress_cache_lookups_total", dimensions: [("result", "hit")], factory: factory)
        compressedMisses = Counter(label: "wharf_compress_cache_lookups_total", dimensions: [("result", "miss")], factory: factory)
        notModified = Counter(label: "wharf_static_not_modified_total", dimensions: [], factory: factory)
        openConnections = Meter(label: "wharf_open_connections", dimensions: [], factory: factory)
        rejectedConnections = Counter(label: "wharf_rejected_connections_total", dimensions: [], factory: factory)
        catalogAssets = Meter(label: "wharf_catalog_assets", dimensions: [], factory: factory)
        func lookup(_ source: String) -> CoreMetrics.Counter {
            Counter(label: "wharf_image_variant_responses_total", dimensions: [("source", source)], factory: factory)
        }
        imageLookups = ImageLookups(memory: lookup("memory"), disk: lookup("disk"), transformed: lookup("transformed"),
                                    coalesced: lookup("coalesced"))
        imageTransforms = ImageTransforms(
            ok: Counter(label: "wharf_image_transforms_total", dimensions: [("result", "ok")], factory: factory),
            failed: Counter(label: "wharf_image_transforms_total", dimensions: [("result", "error")], factory: factory))
        imageTransformDuration = Timer(label: "wharf_image_transform_duration_seconds", dimensions: [], factory: factory)
        imageRejected = Counter(label: "wharf_image_queue_rejections_total", dimensions: [], factory: factory)
        imageCacheWriteErrors = Counter(label: "wharf_image_cache_write_errors_total", dimensions: [], factory: factory)
        purgesAccepted = Counter(label: "wharf_purges_accepted_total", dimensions: [], factory: factory)
        purgeDeliveries = Dictionary(uniqueKeysWithValues: ["pending", "done", "failed"].map {
            ($0, Meter(label: "wharf_purge_deliveries", dimensions: [("state", $0)], factory: factory))
        })
        purgeAttemptDuration = Timer(label: "wharf_purge_attempt_duration_seconds", dimensions: [], factory: factory)
        self.factory = factory
    }

    /// Counts one delivery attempt of a provider by its outcome (done, pending = will retry, failed).
    func purgeAttempt(provider: String, outcome: String, seconds: Double) {
        Counter(label: "wharf_purge_attempts_total", dimensions: [("provider", provider), ("outcome", outcome)], factory: factory)
            .increment()
        purgeAttemptDuration.recordNanoseconds(Int64(seconds * 1e9))
    }

    func record(route: RouteKind, status: UInt, bodyBytes: Int, nanoseconds: Int64) {
        let r = route.index
        let cls = min(max(Int(status / 100), 1), 5) - 1
        requests[r][cls].increment()
        if bodyBytes > 0 { bytes[r].increment(by: bodyBytes) }
        latency.record(.nanoseconds(nanoseconds))
    }

    /// Prometheus text exposition.
    func render() -> [UInt8] {
        var out: [UInt8] = []
        registry.emit(into: &out)
        return out
    }
}
