import Crypto
import Foundation

/// Akamai EdgeGrid request signing (`EG1-HMAC-SHA256`), as Akamai's APIs check it.
///
/// The `Authorization` header is `EG1-HMAC-SHA256 client_token=…;access_token=…;timestamp=…;
/// nonce=…;signature=…`, where the signature is base64(HMAC-SHA256(signing key, data)), the
/// signing key is base64(HMAC-SHA256(client_secret, timestamp)), and the data is the method,
/// scheme, host, path with query, the canonical signed headers (none here), the base64 SHA-256
/// of a POST body (its first `maxBody` bytes; empty for other methods and empty bodies) and the
/// unsigned header, joined by tabs. The timestamp must be within a minute or so of Akamai's clock.
public struct EdgeGrid: Sendable {
    public let clientToken: String
    let clientSecret: String
    public let accessToken: String
    /// Bytes of a POST body that are hashed (`max_body` in `.edgerc`).
    public let maxBody: Int

    public init(clientToken: String, clientSecret: String, accessToken: String, maxBody: Int = 131_072) {
        self.clientToken = clientToken
        self.clientSecret = clientSecret
        self.accessToken = accessToken
        self.maxBody = maxBody
    }

    /// The `Authorization` value for one request.
    /// - Parameters:
    ///   - host: the request's `Host` (`host[:port]`).
    ///   - target: the path with its query, as sent.
    ///   - timestamp: ``timestamp(_:)`` of now unless given (tests).
    ///   - nonce: a fresh ``nonce()`` unless given (tests).
    public func authorization(method: String, scheme: String, host: String, target: String, body: [UInt8] = [],
                              timestamp: String = EdgeGrid.timestamp(), nonce: String = EdgeGrid.nonce()) -> String {
        let unsigned = "EG1-HMAC-SHA256 client_token=\(clientToken);access_token=\(accessToken);timestamp=\(timestamp);nonce=\(nonce);"
        let data = [method.uppercased(), scheme.lowercased(), host, target, "",
                    Self.contentHash(method: method, body: body, maxBody: maxBody), unsigned].joined(separator: "\t")
        return unsigned + "signature=" + Self.hmacBase64(key: signingKey(timestamp: timestamp), data: data)
    }

    /// base64(HMAC-SHA256(client_secret, timestamp)); the key the request is signed with.
    func signingKey(timestamp: String) -> String {
        Self.hmacBase64(key: clientSecret, data: timestamp)
    }

    /// base64 SHA-256 of the first `maxBody` bytes of a POST body; empty otherwise.
    static func contentHash(method: String, body: [UInt8], maxBody: Int) -> String {
        guard method.uppercased() == "POST", !body.isEmpty else { return "" }
        return Data(SHA256.hash(data: body.prefix(maxBody))).base64EncodedString()
    }

    /// base64(HMAC-SHA256) with both key and data taken as UTF-8 text, as EdgeGrid does.
    static func hmacBase64(key: String, data: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(data.utf8), using: SymmetricKey(data: Array(key.utf8)))
        return Data(mac).base64EncodedString()
    }

    /// `yyyyMMdd'T'HH:mm:ss+0000` in UTC.
    public static func timestamp(_ date: Date = Date()) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func pad(_ n: Int?, _ width: Int = 2) -> String {
            let s = String(n ?? 0)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(c.year, 4))\(pad(c.month))\(pad(c.day))T\(pad(c.hour)):\(pad(c.minute)):\(pad(c.second))+0000"
    }

    /// A fresh random nonce (a UUID, as Akamai's own clients use).
    public static func nonce() -> String {
        UUID().uuidString.lowercased()
    }
}
