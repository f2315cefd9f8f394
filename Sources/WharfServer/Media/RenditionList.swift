import Foundation
import TOMLKit
import WharfMedia

/// `hls.toml` in a directory of renditions: which MP4s make up `D/master.m3u8`, in which order,
/// with which labels.
///
/// ```toml
/// [[rendition]]
/// file = "1080p.mp4"   # required: a file in the same directory
/// name = "1080p"       # optional label (default: the file name without .mp4)
/// ```
struct RenditionList: Sendable, Equatable {
    struct Entry: Sendable, Equatable {
        let file: String
        let name: String
    }

    let entries: [Entry]

    /// Parses the file's text; a mistake is a 422 naming the table and key.
    static func parse(_ text: String) throws(MediaError) -> RenditionList {
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch {
            throw .malformed("hls.toml: not valid TOML: \(error)")
        }
        for key in table.keys where key != "rendition" {
            throw .malformed("hls.toml: unknown key \"\(key)\" (only [[rendition]] tables)")
        }
        guard let array = table["rendition"]?.array, !array.isEmpty else {
            throw .malformed("hls.toml: no [[rendition]] tables")
        }
        var entries: [Entry] = []
        for (i, element) in array.enumerated() {
            guard let t = element.table else { throw .malformed("hls.toml: rendition[\(i)] is not a table") }
            for key in t.keys where key != "file" && key != "name" {
                throw .malformed("hls.toml: rendition[\(i)].\(key) is not a known key (file, name)")
            }
            guard let file = t["file"]?.string, !file.isEmpty, !file.contains("/"), file != "..", file != "." else {
                throw .malformed("hls.toml: rendition[\(i)].file must name a file in the same directory")
            }
            let name = t["name"]?.string ?? (file.hasSuffix(".mp4") ? String(file.dropLast(4)) : file)
            entries.append(Entry(file: file, name: name))
        }
        return RenditionList(entries: entries)
    }

    /// Reads and parses the file (blocking: on the pool).
    static func read(path: String) throws(MediaError) -> RenditionList {
        guard let data = FileManager.default.contents(atPath: path), data.count <= 1 << 20,
              let text = String(data: data, encoding: .utf8) else {
            throw .malformed("hls.toml: cannot be read as UTF-8 text of at most 1 MiB")
        }
        return try parse(text)
    }
}
