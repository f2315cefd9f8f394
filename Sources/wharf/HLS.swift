import ArgumentParser
import Foundation
import WharfMedia

/// `wharf hls`: packages an MP4 into HLS files ahead of time, the same bytes `wharf serve`
/// answers on the fly.
struct HLS: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hls",
        abstract: "Write an MP4's HLS rendition (master.m3u8, index.m3u8, init.mp4, seg-N.m4s) as files.",
        discussion: """
            The files are byte for byte what `wharf serve` sends for X.mp4/master.m3u8 and its \
            siblings. Exit status: 0 written; 1 the MP4 cannot be packaged (the reason is printed, \
            as the server would answer it: 415 unsupported codec, 422 malformed); 2 usage.
            """
    )

    @Argument(help: "The MP4 file.")
    var input: String

    @Option(help: "Directory to write into (default: INPUT with .mp4 replaced by .hls).")
    var out: String?

    @Option(name: .customLong("segment-duration"), help: "Target segment duration in seconds (1–60).")
    var segmentDuration: Double = 6

    func validate() throws {
        guard (1...60).contains(segmentDuration) else { throw ValidationError("--segment-duration must be between 1 and 60") }
    }

    func run() throws {
        let directory = out ?? (input.hasSuffix(".mp4") ? String(input.dropLast(4)) : input) + ".hls"
        do {
            let source = try FileMediaSource(path: input)
            let plan = try Segmenter.plan(try Movie.parse(source), targetDuration: segmentDuration)
            let names = try HLSDirectoryWriter.write(plan, source: source, to: directory)
            print("\(directory): \(names.count) files, \(plan.segments.count) segments, target duration \(plan.targetDuration) s")
        } catch let error as MediaError {
            FileHandle.standardError.write(Data("wharf hls: \(input): \(error.message) (\(error.status))\n".utf8))
            throw ExitCode(1)
        }
    }
}
