// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    // Release builds skip the runtime exclusivity checks (swift_beginAccess on class properties,
    // ~2 % of a static hit's CPU); debug builds, which run the test suite, keep them.
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "wharf",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "wharf", targets: ["wharf"]),
        .executable(name: "wharf-fuzz", targets: ["wharf-fuzz"]),
    ],
    dependencies: [
        // 2.101.3: header limits back to 80 KiB per field and in total (2.101.2 allowed 2 MiB).
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
    ],
    targets: [
        // System libraries through pkg-config.
        .systemLibrary(name: "CVips", pkgConfig: "vips", providers: [.apt(["libvips-dev"])]),
        .systemLibrary(name: "CBrotli", pkgConfig: "libbrotlienc", providers: [.apt(["libbrotli-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Fixed-arity wrappers over libvips' NULL-terminated variadic calls (Swift cannot call those).
        // lcms2 (a dependency of libvips-dev) to read embedded profiles' descriptions.
        .target(name: "CWharfVips", dependencies: ["CVips"], linkerSettings: [.linkedLibrary("lcms2")]),
        // renameat2(RENAME_EXCHANGE), which Swift's Glibc module does not declare.
        .target(name: "CWharfSys"),

        // Pure cores.
        .target(name: "WharfHTTP", swiftSettings: swiftSettings),
        // `wharf build`: fingerprints, reference rewriting, precompression, manifest.
        .target(
            name: "WharfBuild",
            dependencies: ["CWharfSys", "WharfHTTP", "WharfCompression", "WharfImage", "WharfMedia",
                           .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // MP4 parsing and HLS packaging (fMP4 segments, playlists); no I/O but a MediaSource.
        .target(name: "WharfMedia", swiftSettings: swiftSettings),
        .target(name: "WharfCompression", dependencies: ["CBrotli", "CZlib"], swiftSettings: swiftSettings),
        .target(
            name: "WharfAssets",
            dependencies: [
                "WharfHTTP", "WharfCompression",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "WharfImage",
            dependencies: ["CVips", "CWharfVips", "WharfHTTP", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),

        // The purge journal and outbox (SQLite through GRDB), the CDN providers and the fan-out worker.
        .target(
            name: "WharfPurge",
            dependencies: [
                "WharfAssets", "WharfHTTP",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        // I/O shells.
        .target(
            name: "WharfServer",
            dependencies: [
                "WharfHTTP", "WharfAssets", "WharfCompression", "WharfImage", "WharfPurge", "WharfMedia",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "wharf",
            dependencies: [
                "WharfServer", "WharfImage", "WharfHTTP", "WharfPurge", "WharfMedia", "WharfBuild",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // Tests.
        // Fuzz targets (issue #7): a corpus replayer normally, a libFuzzer binary from scripts/fuzz.sh.
        .executableTarget(name: "wharf-fuzz", dependencies: ["WharfHTTP", "WharfImage", "WharfMedia", "WharfAssets", "WharfPurge", "WharfServer",
                                                            .product(name: "NIOCore", package: "swift-nio"),
                                                            .product(name: "NIOEmbedded", package: "swift-nio"),
                                                            .product(name: "NIOHTTP1", package: "swift-nio")],
                         swiftSettings: swiftSettings),

        .testTarget(name: "WharfHTTPTests", dependencies: ["WharfHTTP"]),
        .testTarget(name: "WharfMediaTests", dependencies: ["WharfMedia"]),
        .testTarget(name: "WharfBuildTests", dependencies: ["WharfBuild", "WharfCompression", "WharfHTTP", "WharfImage"]),
        .testTarget(name: "WharfCompressionTests", dependencies: ["WharfCompression"]),
        .testTarget(name: "WharfAssetsTests", dependencies: ["WharfAssets", "WharfCompression"]),
        .testTarget(
            name: "WharfPurgeTests",
            dependencies: [
                "WharfPurge", "WharfHTTP", "WharfAssets",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "WharfImageTests", dependencies: ["WharfImage"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "WharfServerTests",
            dependencies: [
                "WharfServer", "WharfCompression", "WharfImage", "WharfMedia",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
    ]
)
