import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// A response as the tests look at it.
struct Got {
    let status: Int
    let headers: HTTPHeaders
    let body: [UInt8]
    let version: HTTPVersion
    func h(_ name: String) -> String? { headers.first(name: name) }
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// AsyncHTTPClient, with decompression off so that encoded bytes are seen as sent.
final class Client: Sendable {
    let http: HTTPClient

    init(trusting certPath: String? = nil) throws {
        var config = HTTPClient.Configuration()
        config.decompression = .disabled
        config.redirectConfiguration = .disallow
        if let certPath {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(certPath))
            config.tlsConfiguration = tls
            config.httpVersion = .automatic
        }
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
    }

    func get(_ url: String, method: HTTPMethod = .GET, _ headers: [(String, String)] = []) async throws -> Got {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        let response = try await http.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 256 << 20)
        return Got(status: Int(response.status.code), headers: response.headers,
                   body: Array(body.readableBytesView), version: response.version)
    }

    /// A request with a body (the purge API).
    func send(_ url: String, method: HTTPMethod, body: String, _ headers: [(String, String)] = []) async throws -> Got {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await http.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return Got(status: Int(response.status.code), headers: response.headers,
                   body: Array(bytes.readableBytesView), version: response.version)
    }

    func shutdown() async throws {
        try await http.shutdown()
    }
}
