import Crypto

/// Signs and checks transform URLs: `s` = URL-safe base64 without padding of the first
/// `signatureBytes` bytes of HMAC-SHA256(key, payload), where the payload is the decoded path
/// and the normalised query (``TransformSpec/signingPayload(path:)``). Several keys may be
/// configured so that keys can be rotated: any of them verifies, the first one signs.
public struct URLSigner: Sendable {
    public let keys: [[UInt8]]
    public let signatureBytes: Int

    public init(keys: [[UInt8]], signatureBytes: Int = 32) {
        precondition((8...32).contains(signatureBytes))
        self.keys = keys
        self.signatureBytes = signatureBytes
    }

    /// The `s` value for `payload` with the first key.
    public func sign(_ payload: String) -> String {
        Self.signature(key: keys[0], payload: payload, bytes: signatureBytes)
    }

    /// Whether `signature` is valid for `payload` under any key; compared in constant time.
    public func verify(_ signature: String?, payload: String) -> Bool {
        guard let signature, let given = Self.base64URLDecode(signature), given.count == signatureBytes else { return false }
        var ok = false
        for key in keys {
            let mac = Array(HMAC<SHA256>.authenticationCode(for: Array(payload.utf8), using: SymmetricKey(data: key)))
            var diff: UInt8 = 0
            for i in 0..<signatureBytes { diff |= mac[i] ^ given[i] }
            ok = ok || diff == 0
        }
        return ok
    }

    public static func signature(key: [UInt8], payload: String, bytes: Int = 32) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(payload.utf8), using: SymmetricKey(data: key))
        return base64URLEncode(Array(mac.prefix(bytes)))
    }

    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// RFC 4648 §5 without padding.
    public static func base64URLEncode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var i = 0
        while i + 2 < bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], alphabet[Int(n & 63)]]
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let n = UInt32(bytes[i]) << 16
            out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)]]
        } else if rest == 2 {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)]]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes unpadded URL-safe base64; nil on any other character or an impossible length.
    public static func base64URLDecode(_ text: String) -> [UInt8]? {
        var values: [UInt8] = []
        values.reserveCapacity(text.utf8.count)
        for c in text.utf8 {
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): values.append(c - 65)
            case UInt8(ascii: "a")...UInt8(ascii: "z"): values.append(c - 97 + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): values.append(c - 48 + 52)
            case UInt8(ascii: "-"): values.append(62)
            case UInt8(ascii: "_"): values.append(63)
            default: return nil
            }
        }
        guard values.count % 4 != 1 else { return nil }
        var out: [UInt8] = []
        var i = 0
        while i < values.count {
            let chunk = values[i..<min(i + 4, values.count)]
            var n: UInt32 = 0
            for (k, v) in chunk.enumerated() { n |= UInt32(v) << (18 - 6 * UInt32(k)) }
            out.append(UInt8(n >> 16 & 0xff))
            if chunk.count > 2 { out.append(UInt8(n >> 8 & 0xff)) }
            if chunk.count > 3 { out.append(UInt8(n & 0xff)) }
            i += 4
        }
        return out
    }
}
