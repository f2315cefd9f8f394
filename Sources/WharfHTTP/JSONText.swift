/// JSON text built by hand where its exact size matters (purge batches) or where a log line is
/// written on a hot path without an encoder.
public enum JSONText {
    /// `s` as a JSON string literal. Slashes stay as they are, so URLs read as themselves.
    public static func quote(_ s: String) -> String {
        // Most strings (paths, hashes) need no escape: one scan instead of a scalar-wise copy.
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) { return "\"" + s + "\"" }
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
