// swift-tools-version:6.0
// The floor of a SwiftNIO HTTP/1.1 server, for bench/floor/README.md: one handler that answers
// every request with one constant buffer. Its own package so that the main build never compiles it.
import PackageDescription

let package = Package(
    name: "nio-floor",
    dependencies: [.package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3")],
    targets: [
        .executableTarget(name: "nio-floor", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
    ]
)
