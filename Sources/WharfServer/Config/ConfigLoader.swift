import Foundation
import TOMLKit
import WharfAssets
import WharfHTTP
import WharfImage
import WharfPurge

/// Reads `wharf.toml`, then `WHARF_*` environment variables, into a ``ServerConfiguration``.
///
/// Keys are dotted paths (`limits.max_uri_bytes`); the environment name of a key is `WHARF_`
/// followed by the key in upper case with dots as underscores (`WHARF_LIMITS_MAX_URI_BYTES`).
/// Unknown keys and values of the wrong type or range are errors that name the key.
public enum ConfigLoader {
    enum Kind: Sendable {
        case int(ClosedRange<Int>), double(ClosedRange<Double>), string, address, optionalPath, logLevel, bool
        case intList(ClosedRange<Int>), stringList
    }

    struct Key: Sendable {
        let name: String
        let kind: Kind
        let apply: @Sendable (inout ServerConfiguration, Value) -> Void
    }

    enum Value: Sendable {
        case int(Int), double(Double), string(String), address(ServerConfiguration.Address), bool(Bool)
        case ints([Int]), strings([String])
    }

    static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    static let keys: [Key] = [
        Key(name: "root", kind: .string) { c, v in if case .string(let s) = v { c.root = s } },
        Key(name: "listen", kind: .address) { c, v in if case .address(let a) = v { c.listen = a } },
        Key(name: "admin_listen", kind: .address) { c, v in if case .address(let a) = v { c.adminListen = a } },
        Key(name: "event_loop_threads", kind: .int(0...1024)) { c, v in if case .int(let i) = v { c.eventLoopThreads = i } },
        Key(name: "blocking_threads", kind: .int(1...1024)) { c, v in if case .int(let i) = v { c.blockingThreads = i } },
        Key(name: "blocking_queue_limit", kind: .int(1...1_000_000)) { c, v in if case .int(let i) = v { c.blockingQueueLimit = i } },
        Key(name: "tls.cert", kind: .optionalPath) { c, v in if case .string(let s) = v { c.tlsCertificatePath = s.isEmpty ? nil : s } },
        Key(name: "tls.key", kind: .optionalPath) { c, v in if case .string(let s) = v { c.tlsKeyPath = s.isEmpty ? nil : s } },
        Key(name: "limits.max_uri_bytes", kind: .int(64...1 << 20)) { c, v in if case .int(let i) = v { c.limits.maxURIBytes = i } },
        Key(name: "limits.max_header_field_bytes", kind: .int(256...1 << 20)) { c, v in if case .int(let i) = v { c.limits.maxHeaderFieldBytes = i } },
        Key(name: "limits.max_header_bytes", kind: .int(1024...4 << 20)) { c, v in if case .int(let i) = v { c.limits.maxHeaderBytes = i } },
        Key(name: "limits.max_header_count", kind: .int(8...65_534)) { c, v in if case .int(let i) = v { c.limits.maxHeaderCount = i } },
        Key(name: "limits.max_request_body_bytes", kind: .int(0...1 << 30)) { c, v in if case .int(let i) = v { c.limits.maxRequestBodyBytes = i } },
        Key(name: "limits.header_read_timeout", kind: .double(0.1...3600)) { c, v in if case .double(let d) = v { c.limits.headerReadTimeout = d } },
        Key(name: "limits.idle_timeout", kind: .double(0.1...86_400)) { c, v in if case .double(let d) = v { c.limits.idleTimeout = d } },
        Key(name: "limits.max_connections", kind: .int(1...10_000_000)) { c, v in if case .int(let i) = v { c.limits.maxConnections = i } },
        Key(name: "limits.max_ranges", kind: .int(1...1000)) { c, v in if case .int(let i) = v { c.limits.maxRanges = i } },
        Key(name: "limits.max_pipelined_requests", kind: .int(1...1000)) { c, v in if case .int(let i) = v { c.limits.maxPipelinedRequests = i } },
        Key(name: "limits.http2_max_concurrent_streams", kind: .int(1...10_000)) { c, v in if case .int(let i) = v { c.limits.http2MaxConcurrentStreams = i } },
        Key(name: "limits.http2_max_resets", kind: .int(1...1_000_000)) { c, v in if case .int(let i) = v { c.limits.http2.maxResets = i } },
        Key(name: "limits.http2_max_stream_errors", kind: .int(1...1_000_000)) { c, v in if case .int(let i) = v { c.limits.http2.maxStreamErrors = i } },
        Key(name: "limits.http2_max_control_frames", kind: .int(1...1_000_000)) { c, v in if case .int(let i) = v { c.limits.http2.maxControlFrames = i } },
        Key(name: "limits.http2_rate_window", kind: .double(0.1...86_400)) { c, v in if case .double(let d) = v { c.limits.http2.rateWindow = d } },
        Key(name: "limits.http2_max_continuation_frames", kind: .int(0...10_000)) { c, v in if case .int(let i) = v { c.limits.http2.maxContinuationFrames = i } },
        Key(name: "limits.http2_max_buffered_control_frames", kind: .int(1...1_000_000)) { c, v in if case .int(let i) = v { c.limits.http2.maxBufferedControlFrames = i } },
        Key(name: "limits.http2_max_empty_data_frames", kind: .int(0...10_000)) { c, v in if case .int(let i) = v { c.limits.http2.maxEmptyDataFrames = i } },
        Key(name: "limits.http2_max_glitches", kind: .int(1...1_000_000)) { c, v in if case .int(let i) = v { c.limits.http2.maxGlitches = i } },
        Key(name: "limits.shutdown_grace", kind: .double(0...3600)) { c, v in if case .double(let d) = v { c.limits.shutdownGrace = d } },
        Key(name: "cache.memory_max_file_bytes", kind: .int(0...1 << 34)) { c, v in if case .int(let i) = v { c.cache.memoryMaxFileBytes = i } },
        Key(name: "cache.memory_budget_bytes", kind: .int(0...1 << 40)) { c, v in if case .int(let i) = v { c.cache.memoryBudgetBytes = i } },
        Key(name: "cache.compress_cache_bytes", kind: .int(0...1 << 40)) { c, v in if case .int(let i) = v { c.cache.compressCacheBytes = i } },
        Key(name: "cache.compress_max_file_bytes", kind: .int(0...1 << 34)) { c, v in if case .int(let i) = v { c.cache.compressMaxFileBytes = i } },
        Key(name: "cache.revalidate_interval", kind: .double(0.05...3600)) { c, v in if case .double(let d) = v { c.cache.revalidateInterval = d } },
        Key(name: "cache.x_accel_expires", kind: .bool) { c, v in if case .bool(let b) = v { c.cache.policy.emitAccelExpires = b } },
        Key(name: "images.workers", kind: .int(0...1024)) { c, v in if case .int(let i) = v { c.images.workers = i } },
        Key(name: "images.max_per_client", kind: .int(0...1_000_000)) { c, v in if case .int(let i) = v { c.images.maxPerClient = i } },
        Key(name: "images.queue_limit", kind: .int(1...1_000_000)) { c, v in if case .int(let i) = v { c.images.queueLimit = i } },
        Key(name: "images.timeout", kind: .double(0.1...3600)) { c, v in if case .double(let d) = v { c.images.options.timeout = d } },
        Key(name: "images.cache_dir", kind: .string) { c, v in if case .string(let s) = v { c.images.cacheDirectory = s } },
        Key(name: "images.cache_bytes", kind: .int(1 << 20...1 << 50)) { c, v in if case .int(let i) = v { c.images.cacheBytes = i } },
        Key(name: "images.memory_cache_bytes", kind: .int(0...1 << 40)) { c, v in if case .int(let i) = v { c.images.memoryCacheBytes = i } },
        Key(name: "images.max_source_pixels", kind: .int(1...1 << 40)) { c, v in if case .int(let i) = v { c.images.options.maxSourcePixels = i } },
        Key(name: "build.fingerprint", kind: .stringList) { c, v in if case .strings(let l) = v { c.build.fingerprint = l } },
        Key(name: "build.fingerprint_exclude", kind: .stringList) { c, v in if case .strings(let l) = v { c.build.fingerprintExclude = l } },
        Key(name: "build.compress_min_ratio", kind: .double(0.01...1)) { c, v in if case .double(let d) = v { c.build.compressMinRatio = d } },
        Key(name: "build.compress_min_bytes", kind: .int(0...1 << 30)) { c, v in if case .int(let i) = v { c.build.compressMinBytes = i } },
        Key(name: "build.images", kind: .stringList) { c, v in if case .strings(let l) = v { c.build.images = l } },
        Key(name: "build.image_widths", kind: .intList(1...8192)) { c, v in if case .ints(let l) = v { c.build.imageWidths = l } },
        Key(name: "build.image_formats", kind: .stringList) { c, v in if case .strings(let l) = v { c.build.imageFormats = l } },
        Key(name: "build.hls", kind: .stringList) { c, v in if case .strings(let l) = v { c.build.hls = l } },
        Key(name: "build.hls_segment_duration", kind: .double(1...60)) { c, v in if case .double(let d) = v { c.build.hlsSegmentDuration = d } },
        Key(name: "hls.cache_dir", kind: .string) { c, v in if case .string(let s) = v { c.hls.cacheDirectory = s } },
        Key(name: "hls.enabled", kind: .bool) { c, v in if case .bool(let b) = v { c.hls.enabled = b } },
        Key(name: "hls.segment_duration", kind: .double(1...60)) { c, v in if case .double(let d) = v { c.hls.segmentDuration = d } },
        Key(name: "hls.max_metadata_bytes", kind: .int(1 << 16...1 << 32)) { c, v in if case .int(let i) = v { c.hls.limits.maxMetadataBytes = i } },
        Key(name: "hls.max_samples", kind: .int(1...100_000_000)) { c, v in if case .int(let i) = v { c.hls.limits.maxSamples = i } },
        Key(name: "hls.package_cache_bytes", kind: .int(1 << 20...1 << 40)) { c, v in if case .int(let i) = v { c.hls.packageCacheBytes = i } },
        Key(name: "hls.segment_cache_bytes", kind: .int(0...1 << 40)) { c, v in if case .int(let i) = v { c.hls.segmentCacheBytes = i } },
        Key(name: "images.max_source_bytes", kind: .int(1...1 << 40)) { c, v in if case .int(let i) = v { c.images.options.maxSourceBytes = i } },
        Key(name: "images.max_output_dimension", kind: .int(1...65_535)) { c, v in if case .int(let i) = v { c.images.options.maxOutputDimension = i } },
        Key(name: "images.allowed_widths", kind: .intList(1...65_535)) { c, v in if case .ints(let l) = v { c.images.options.allowedWidths = l } },
        Key(name: "images.allow_upscale", kind: .bool) { c, v in if case .bool(let b) = v { c.images.options.allowUpscale = b } },
        Key(name: "images.auto_format", kind: .bool) { c, v in if case .bool(let b) = v { c.images.options.autoFormatByDefault = b } },
        Key(name: "images.max_animation_frames", kind: .int(1...10_000)) { c, v in if case .int(let i) = v { c.images.options.maxAnimationFrames = i } },
        Key(name: "images.jpeg_quality", kind: .int(1...100)) { c, v in if case .int(let i) = v { c.images.options.jpegQuality = i } },
        Key(name: "images.webp_quality", kind: .int(1...100)) { c, v in if case .int(let i) = v { c.images.options.webpQuality = i } },
        Key(name: "images.avif_quality", kind: .int(1...100)) { c, v in if case .int(let i) = v { c.images.options.avifQuality = i } },
        Key(name: "images.webp_effort", kind: .int(0...6)) { c, v in if case .int(let i) = v { c.images.options.webpEffort = i } },
        Key(name: "images.avif_effort", kind: .int(0...9)) { c, v in if case .int(let i) = v { c.images.options.avifEffort = i } },
        Key(name: "images.jpeg_progressive", kind: .bool) { c, v in if case .bool(let b) = v { c.images.options.jpegProgressive = b } },
        Key(name: "images.png_compression", kind: .int(0...9)) { c, v in if case .int(let i) = v { c.images.options.pngCompression = i } },
        Key(name: "images.signing_keys", kind: .stringList) { c, v in
            if case .strings(let l) = v { c.images.options.signingKeys = l.map { Array($0.utf8) } }
        },
        Key(name: "images.signature_bytes", kind: .int(8...32)) { c, v in if case .int(let i) = v { c.images.options.signatureBytes = i } },
        Key(name: "tags.headers", kind: .stringList) { c, v in
            if case .strings(let l) = v { c.tags.headers = l.compactMap(TagHeader.init(rawValue:)) }
        },
        Key(name: "tags.build_id", kind: .optionalPath) { c, v in if case .string(let s) = v { c.tags.buildID = s.isEmpty ? nil : s } },
        Key(name: "purge.tokens", kind: .stringList) { c, v in if case .strings(let l) = v { c.purge.tokens = l } },
        Key(name: "purge.state_dir", kind: .string) { c, v in if case .string(let s) = v { c.purge.stateDirectory = s } },
        Key(name: "purge.max_body_bytes", kind: .int(1024...1 << 30)) { c, v in if case .int(let i) = v { c.purge.options.limits.maxBodyBytes = i } },
        Key(name: "purge.max_items", kind: .int(1...10_000_000)) { c, v in if case .int(let i) = v { c.purge.options.limits.maxItems = i } },
        Key(name: "purge.max_item_bytes", kind: .int(64...1 << 20)) { c, v in if case .int(let i) = v { c.purge.options.limits.maxItemBytes = i } },
        Key(name: "purge.max_attempts", kind: .int(1...1_000_000)) { c, v in if case .int(let i) = v { c.purge.options.maxAttempts = i } },
        Key(name: "purge.give_up_after", kind: .double(1...365 * 86_400)) { c, v in if case .double(let d) = v { c.purge.options.giveUpAfter = d } },
        Key(name: "purge.retry_base", kind: .double(0.01...3600)) { c, v in if case .double(let d) = v { c.purge.options.retryBase = d } },
        Key(name: "purge.retry_max", kind: .double(0.01...86_400)) { c, v in if case .double(let d) = v { c.purge.options.retryMax = d } },
        Key(name: "purge.request_timeout", kind: .double(0.1...3600)) { c, v in if case .double(let d) = v { c.purge.options.requestTimeout = d } },
        Key(name: "purge.connect_timeout", kind: .double(0.05...600)) { c, v in if case .double(let d) = v { c.purge.options.connectTimeout = d } },
        Key(name: "purge.retention", kind: .double(60...3650 * 86_400)) { c, v in if case .double(let d) = v { c.purge.options.retention = d } },
        Key(name: "purge.max_served_urls", kind: .int(1...100_000_000)) { c, v in if case .int(let i) = v { c.purge.options.maxServedURLs = i } },
        Key(name: "purge.max_wait", kind: .double(0...86_400)) { c, v in if case .double(let d) = v { c.purge.options.maxWait = d } },
        Key(name: "log.access", kind: .string) { c, v in if case .string(let s) = v { c.accessLog = s } },
        Key(name: "log.level", kind: .logLevel) { c, v in if case .string(let s) = v { c.logLevel = s } },
    ]

    /// Environment variable name for a key.
    public static func environmentName(of key: String) -> String {
        "WHARF_" + key.uppercased().replacingOccurrences(of: ".", with: "_")
    }

    /// Every known key with its environment name, for `--help` and the README.
    public static var knownKeys: [String] { keys.map(\.name) + ["cache.rules", "images.presets", "tags.rules", "purge.providers"] }

    /// Loads `configPath` (if given; it must then exist) and the environment over the defaults.
    public static func load(configPath: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(ConfigError) -> ServerConfiguration
    {
        var config = ServerConfiguration()
        if let configPath {
            guard let text = try? String(contentsOfFile: configPath, encoding: .utf8) else {
                throw ConfigError(key: "--config", problem: "cannot read \(configPath)")
            }
            try apply(toml: text, to: &config)
        }
        try apply(environment: environment, to: &config)
        return config
    }

    /// Applies a TOML document over `config`.
    public static func apply(toml text: String, to config: inout ServerConfiguration) throws(ConfigError) {
        try TOMLPreflight.check(text)
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigError(key: "wharf.toml", problem: "\(error.description) at line \(error.source.begin.line)")
        } catch {
            throw ConfigError(key: "wharf.toml", problem: "\(error)")
        }
        try walk(table, prefix: "", into: &config)
    }

    private static func walk(_ table: TOMLTable, prefix: String, into config: inout ServerConfiguration) throws(ConfigError) {
        for name in table.keys {
            let full = prefix.isEmpty ? name : prefix + "." + name
            guard let value = table[name] else { continue }
            if full == "cache.rules" {
                try applyRules(value, to: &config)
                continue
            }
            if full == "images.presets" {
                try applyPresets(value, to: &config)
                continue
            }
            if full == "tags.rules" {
                try applyTagRules(value, to: &config)
                continue
            }
            if full == "purge.providers" {
                config.purge.providers = try ProviderConfig.parse(value)
                continue
            }
            if let sub = value.table {
                try walk(sub, prefix: full, into: &config)
                continue
            }
            guard let key = keys.first(where: { $0.name == full }) else {
                throw ConfigError(key: full, problem: "unknown key")
            }
            let parsed: Value
            switch key.kind {
            case .int(let range):
                guard let i = value.int else { throw ConfigError(key: full, problem: "expected an integer") }
                parsed = try checked(.int(i), key: key, range: range)
            case .double(let range):
                let d: Double
                if let x = value.double { d = x } else if let i = value.int { d = Double(i) } else {
                    throw ConfigError(key: full, problem: "expected a number of seconds")
                }
                parsed = try checked(d, key: key, range: range)
            case .string, .optionalPath, .logLevel, .address:
                guard let s = value.string else { throw ConfigError(key: full, problem: "expected a string") }
                parsed = try parse(s, for: key)
            case .bool:
                guard let b = value.bool else { throw ConfigError(key: full, problem: "expected true or false") }
                parsed = .bool(b)
            case .intList(let range):
                guard let array = value.array else { throw ConfigError(key: full, problem: "expected an array of integers") }
                var list: [Int] = []
                for element in array {
                    guard let i = element.int else { throw ConfigError(key: full, problem: "expected an array of integers") }
                    guard range.contains(i) else {
                        throw ConfigError(key: full, problem: "values must be between \(range.lowerBound) and \(range.upperBound)")
                    }
                    list.append(i)
                }
                parsed = .ints(list)
            case .stringList:
                guard let array = value.array else { throw ConfigError(key: full, problem: "expected an array of strings") }
                var list: [String] = []
                for element in array {
                    guard let s = element.string else { throw ConfigError(key: full, problem: "expected an array of strings") }
                    list.append(s)
                }
                parsed = try checkedList(list, key: key)
            }
            key.apply(&config, parsed)
        }
    }

    private static func checked(_ d: Double, key: Key, range: ClosedRange<Double>) throws(ConfigError) -> Value {
        guard range.contains(d) else {
            throw ConfigError(key: key.name, problem: "must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return .double(d)
    }

    private static func checked(_ v: Value, key: Key, range: ClosedRange<Int>) throws(ConfigError) -> Value {
        if case .int(let i) = v, !range.contains(i) {
            throw ConfigError(key: key.name, problem: "must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return v
    }

    /// Parses a textual value (from TOML strings, the environment or flags) for `key`.
    static func parse(_ text: String, for key: Key) throws(ConfigError) -> Value {
        switch key.kind {
        case .int(let range):
            guard let i = Int(text.trimmingCharacters(in: .whitespaces)) else {
                throw ConfigError(key: key.name, problem: "expected an integer, got \"\(text)\"")
            }
            return try checked(.int(i), key: key, range: range)
        case .double(let range):
            guard let d = Double(text.trimmingCharacters(in: .whitespaces)), d.isFinite else {
                throw ConfigError(key: key.name, problem: "expected a number of seconds, got \"\(text)\"")
            }
            return try checked(d, key: key, range: range)
        case .string:
            guard !text.isEmpty else { throw ConfigError(key: key.name, problem: "must not be empty") }
            return .string(text)
        case .optionalPath:
            return .string(text)
        case .logLevel:
            guard logLevels.contains(text) else {
                throw ConfigError(key: key.name, problem: "must be one of \(logLevels.joined(separator: ", "))")
            }
            return .string(text)
        case .address:
            return .address(try parseAddress(text, key: key.name))
        case .bool:
            switch text.lowercased() {
            case "true", "1", "yes", "on": return .bool(true)
            case "false", "0", "no", "off": return .bool(false)
            default: throw ConfigError(key: key.name, problem: "expected true or false, got \"\(text)\"")
            }
        case .intList(let range):
            var list: [Int] = []
            for part in text.split(separator: ",") {
                guard let i = Int(part.trimmingCharacters(in: .whitespaces)) else {
                    throw ConfigError(key: key.name, problem: "expected comma-separated integers, got \"\(text)\"")
                }
                guard range.contains(i) else {
                    throw ConfigError(key: key.name, problem: "values must be between \(range.lowerBound) and \(range.upperBound)")
                }
                list.append(i)
            }
            return .ints(list)
        case .stringList:
            return try checkedList(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }, key: key)
        }
    }

    /// Signing keys: at least 16 bytes each, so that a short test value never guards production;
    /// tag headers: known names only.
    private static func checkedList(_ list: [String], key: Key) throws(ConfigError) -> Value {
        if key.name == "tags.headers", let bad = list.first(where: { TagHeader(rawValue: $0) == nil }) {
            throw ConfigError(key: key.name, problem: "unknown header \"\(bad)\" (known: \(TagHeader.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        if key.name == "purge.tokens", let short = list.firstIndex(where: { $0.utf8.count < 16 }) {
            throw ConfigError(key: key.name, problem: "token \(short + 1) is shorter than 16 bytes")
        }
        if key.name == "images.signing_keys", let short = list.firstIndex(where: { $0.utf8.count < 16 }) {
            throw ConfigError(key: key.name, problem: "key \(short + 1) is shorter than 16 bytes")
        }
        if key.name == "build.image_formats", let bad = list.first(where: { !["avif", "webp", "jpeg", "png"].contains($0) }) {
            throw ConfigError(key: key.name, problem: "unknown format \"\(bad)\" (known: avif, webp, jpeg, png)")
        }
        if key.name.hasPrefix("build.fingerprint") || key.name == "build.images" || key.name == "build.hls" {
            for glob in list {
                do { _ = try GlobPattern(glob) } catch { throw ConfigError(key: key.name, problem: "bad glob \"\(glob)\": \(error.message)") }
            }
        }
        return .strings(list)
    }

    /// `[[tags.rules]]`: `match` (a glob) and `tags`, each tag already in the shared alphabet
    /// (lower-case `[a-z0-9!#$%'+./^_`|~-]`, at most 128 characters): rules are never rewritten.
    private static func applyTagRules(_ value: any TOMLValueConvertible, to config: inout ServerConfiguration) throws(ConfigError) {
        guard let array = value.array else { throw ConfigError(key: "tags.rules", problem: "expected an array of tables ([[tags.rules]])") }
        var rules: [TagPolicy.Rule] = []
        for (i, element) in array.enumerated() {
            let where_ = "tags.rules[\(i)]"
            guard let t = element.table else { throw ConfigError(key: where_, problem: "expected a table") }
            guard let match = t["match"]?.string else { throw ConfigError(key: "\(where_).match", problem: "missing") }
            let pattern: GlobPattern
            do { pattern = try GlobPattern(match) } catch {
                throw ConfigError(key: "\(where_).match", problem: "bad glob \"\(match)\": \(error.message)")
            }
            guard let list = t["tags"]?.array else { throw ConfigError(key: "\(where_).tags", problem: "expected an array of strings") }
            var tags: [String] = []
            for item in list {
                guard let tag = item.string, SurrogateTags.isValid(tag) else {
                    throw ConfigError(key: "\(where_).tags", problem: "tags must be 1-128 characters of a-z 0-9 ! # $ % ' + . / ^ _ ` | ~ -")
                }
                tags.append(tag)
            }
            guard tags.count <= 16 else { throw ConfigError(key: "\(where_).tags", problem: "at most 16 tags per rule") }
            for name in t.keys where name != "match" && name != "tags" {
                throw ConfigError(key: "\(where_).\(name)", problem: "unknown key")
            }
            rules.append(TagPolicy.Rule(pattern: pattern, tags: tags))
        }
        config.tags.rules = rules
    }

    /// `[images.presets.NAME]` tables of transform parameters, each checked as a URL would be.
    private static func applyPresets(_ value: any TOMLValueConvertible, to config: inout ServerConfiguration) throws(ConfigError) {
        guard let table = value.table else { throw ConfigError(key: "images.presets", problem: "expected tables ([images.presets.NAME])") }
        var presets: [String: [(String, String)]] = [:]
        for name in table.keys {
            let where_ = "images.presets.\(name)"
            guard let t = table[name]?.table else { throw ConfigError(key: where_, problem: "expected a table of parameters") }
            var pairs: [(String, String)] = []
            for param in t.keys {
                let v = t[param]!
                let text: String
                if let i = v.int { text = String(i) } else if let d = v.double { text = String(d) } else if let s = v.string { text = s } else {
                    throw ConfigError(key: "\(where_).\(param)", problem: "expected a number or a string")
                }
                pairs.append((param, text))
            }
            let query = pairs.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
            do throws(ImageError) {
                guard let q = try TransformQuery.parse(query), q.values[.preset] == nil, q.signature == nil else {
                    throw ImageError(status: 400, message: "must set transform parameters (w, h, fit, g, fm, q, dpr)")
                }
                _ = try TransformSpec.resolve(q, options: config.images.options)
            } catch {
                throw ConfigError(key: where_, problem: error.message)
            }
            presets[name] = pairs
        }
        config.images.options.presets = presets
    }

    /// Parses `host:port`, `[v6]:port` or `:port` (all interfaces).
    public static func parseAddress(_ text: String, key: String) throws(ConfigError) -> ServerConfiguration.Address {
        let host: String
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw ConfigError(key: key, problem: "expected [ipv6]:port, got \"\(text)\"")
            }
            host = String(text[text.index(after: text.startIndex)..<close])
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw ConfigError(key: key, problem: "expected host:port, got \"\(text)\"")
            }
            host = text[..<colon].isEmpty ? "0.0.0.0" : String(text[..<colon])
            portText = text[text.index(after: colon)...]
        }
        guard let port = Int(portText), (0...65535).contains(port) else {
            throw ConfigError(key: key, problem: "port must be 0-65535, got \"\(portText)\"")
        }
        return .init(host: host, port: port)
    }

    /// `[[cache.rules]]` entries: `match` plus any of `cache_control`, `cdn_cache_control`, `surrogate_control`
    /// (one of the last two alone sets both).
    private static func applyRules(_ value: any TOMLValueConvertible, to config: inout ServerConfiguration) throws(ConfigError) {
        guard let array = value.array else { throw ConfigError(key: "cache.rules", problem: "expected an array of tables ([[cache.rules]])") }
        var rules: [CacheRule] = []
        for (i, element) in array.enumerated() {
            let where_ = "cache.rules[\(i)]"
            guard let t = element.table else { throw ConfigError(key: where_, problem: "expected a table") }
            var directives = CacheDirectives()
            var pattern: GlobPattern?
            for name in t.keys {
                guard let s = t[name]?.string else { throw ConfigError(key: "\(where_).\(name)", problem: "expected a string") }
                switch name {
                case "match":
                    do { pattern = try GlobPattern(s) } catch {
                        throw ConfigError(key: "\(where_).match", problem: "bad glob \"\(s)\": \(error.message)")
                    }
                case "cache_control": directives.cacheControl = s
                case "cdn_cache_control": directives.cdnCacheControl = s
                case "surrogate_control": directives.surrogateControl = s
                default: throw ConfigError(key: "\(where_).\(name)", problem: "unknown key")
                }
                if name != "match", s.contains(where: { $0 == "\r" || $0 == "\n" }) {
                    throw ConfigError(key: "\(where_).\(name)", problem: "must not contain line breaks")
                }
            }
            guard let pattern else { throw ConfigError(key: "\(where_).match", problem: "missing") }
            // Both headers carry the shared-cache lifetime (CDN-Cache-Control for Cloudflare, Akamai
            // and nginx, Surrogate-Control for Fastly and Varnish): one given alone sets the other,
            // so no edge keeps the default's lifetime while another follows the rule.
            if directives.surrogateControl == nil { directives.surrogateControl = directives.cdnCacheControl }
            if directives.cdnCacheControl == nil { directives.cdnCacheControl = directives.surrogateControl }
            rules.append(CacheRule(pattern: pattern, directives: directives))
        }
        config.cache.policy.rules = rules
    }

    /// Applies `WHARF_*` variables that name a key; a bad value is an error naming the variable.
    /// Other `WHARF_*` variables are left alone (scripts use the prefix too); `wharf serve` warns
    /// about them (``unknownEnvironmentNames(_:)``) so that a typo does not pass silently.
    public static func apply(environment: [String: String], to config: inout ServerConfiguration) throws(ConfigError) {
        // One token from the environment, added to those of wharf.toml (a deploy secret is
        // rather kept out of files).
        if let token = environment["WHARF_PURGE_TOKEN"], !token.isEmpty {
            guard token.utf8.count >= 16 else { throw ConfigError(key: "WHARF_PURGE_TOKEN", problem: "shorter than 16 bytes") }
            config.purge.tokens.append(token)
        }
        for (name, text) in environment where name.hasPrefix("WHARF_") {
            guard let key = byEnvironmentName[name] else { continue }
            do {
                key.apply(&config, try parse(text, for: key))
            } catch {
                throw ConfigError(key: name, problem: error.problem)
            }
        }
    }

    /// `WHARF_*` variables that name no key.
    public static func unknownEnvironmentNames(_ environment: [String: String]) -> [String] {
        environment.keys.filter { $0.hasPrefix("WHARF_") && byEnvironmentName[$0] == nil && !["WHARF_PURGE_TOKEN", "WHARF_PURGE_ENDPOINT"].contains($0) }.sorted()
    }

    static let byEnvironmentName = Dictionary(uniqueKeysWithValues: keys.map { (environmentName(of: $0.name), $0) })

    /// Applies one textual override (a command-line flag) to the key `name`.
    public static func apply(flag: String, key name: String, value text: String, to config: inout ServerConfiguration) throws(ConfigError) {
        guard let key = keys.first(where: { $0.name == name }) else { throw ConfigError(key: flag, problem: "unknown key \(name)") }
        do {
            key.apply(&config, try parse(text, for: key))
        } catch {
            throw ConfigError(key: flag, problem: error.problem)
        }
    }
}
