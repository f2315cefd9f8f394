import Foundation
import Logging
import WharfMedia

/// Segment plans on disk, named by the MP4's content hash, the packager version and the target
/// duration, so a restarted origin skips parsing. Written to a temporary file and renamed; a
/// file that does not decode is ignored (and replaced).
struct PlanStore {
    let path: String

    init?(directory: String, sourceHash: String, target: Double) {
        guard directory != "off", !directory.isEmpty else { return nil }
        path = directory + "/\(sourceHash)-v\(HLSPackage.version)-t\(Int(target * 1000)).plan"
    }

    /// The stored plan, if there is one that decodes and fits the file (blocking).
    func load(limits: MediaLimits, sourceSize: UInt64) -> SegmentPlan? {
        guard let data = FileManager.default.contents(atPath: path),
              let plan = try? SegmentPlanCodec.decode([UInt8](data), limits: limits) else { return nil }
        let fits = plan.tracks.allSatisfy { t in
            t.samples.allSatisfy { $0.offset <= sourceSize && UInt64($0.size) <= sourceSize - $0.offset }
        }
        return fits ? plan : nil
    }

    /// Stores `plan` (blocking); a failure is logged, never fatal: the plan can be made again.
    func save(_ plan: SegmentPlan, logger: Logger) {
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = path + ".tmp-\(UUID().uuidString)"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data(SegmentPlanCodec.encode(plan)).write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, path) == 0 else { throw CocoaError(.fileWriteUnknown) }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            logger.warning("cannot store an HLS segment plan", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }
}
