import Foundation

/// Writes an MP4's HLS rendition as static files — `master.m3u8`, `index.m3u8`, `init.mp4`,
/// `seg-N.m4s` — byte for byte what `wharf serve` answers at `X.mp4/…`, for origins that would
/// rather serve files (and for `wharf build`). Each file is written to a temporary name and
/// renamed, so a reader never sees half a file.
public enum HLSDirectoryWriter {
    /// Writes the files for `plan` into `directory` (created if missing); returns their names.
    @discardableResult
    public static func write(_ plan: SegmentPlan, source: any MediaSource, to directory: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var names: [String] = []
        func put(_ name: String, _ bytes: [UInt8]) throws {
            let path = directory + "/" + name
            let temporary = directory + "/.\(name).tmp-\(UUID().uuidString)"
            do {
                try Data(bytes).write(to: URL(fileURLWithPath: temporary))
                guard rename(temporary, path) == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
            } catch {
                try? FileManager.default.removeItem(atPath: temporary)
                throw error
            }
            names.append(name)
        }
        try put("init.mp4", FragmentWriter.initSegment(tracks: plan.tracks))
        for n in 1...plan.segments.count {
            try put("seg-\(n).m4s", try FragmentWriter.mediaSegment(sequence: UInt32(n), plan: plan, source: source))
        }
        // Playlists last: a player that finds them finds every file they name.
        try put("index.m3u8", Array(PlaylistWriter.media(plan).utf8))
        try put("master.m3u8", Array(PlaylistWriter.multivariant([.init(plan: plan, uri: "index.m3u8")]).utf8))
        return names
    }
}
