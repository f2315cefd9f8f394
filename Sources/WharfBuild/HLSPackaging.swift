import Foundation
import WharfMedia

/// Packages an MP4 of the build into a static HLS rendition beside it, with the writer
/// `wharf hls` uses (byte for byte what `wharf serve` answers at `X.mp4/master.m3u8`):
/// `v/talk.3f9a2c1b.mp4` gets `v/talk.3f9a2c1b.hls/{master,index}.m3u8, init.mp4, seg-N.m4s`.
/// The directory carries the MP4's fingerprint, so its playlists change name with the video.
enum HLSPackaging {
    /// Bumped whenever the same MP4 would be packaged into different bytes.
    static let version = 1

    /// The rendition's directory for an MP4's output path.
    static func directory(forOutput outputPath: String) -> String {
        (outputPath.lowercased().hasSuffix(".mp4") ? String(outputPath.dropLast(4)) : outputPath) + ".hls"
    }

    /// Writes the rendition of the MP4 at `source` into `directory`; returns the file names.
    static func package(source: String, into directory: String, segmentDuration: Double) throws(MediaError) -> [String] {
        let file = try FileMediaSource(path: source)
        let plan = try Segmenter.plan(try Movie.parse(file), targetDuration: segmentDuration)
        do {
            return try HLSDirectoryWriter.write(plan, source: file, to: directory)
        } catch let error as MediaError {
            throw error
        } catch {
            throw MediaError(status: 500, "cannot write the rendition: \(error)")
        }
    }

    /// Hard-links the previous build's rendition (same name, so same MP4 and settings) into
    /// `directory`; the file names, or nil when there is none to reuse.
    static func reuse(from old: String, into directory: String) -> [String]? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: old),
              names.contains("master.m3u8"), names.contains("index.m3u8") else { return nil }
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for name in names.sorted() where !name.hasPrefix(".") {
            guard link(old + "/" + name, directory + "/" + name) == 0 else { return nil }
        }
        return names.filter { !$0.hasPrefix(".") }.sorted()
    }
}
