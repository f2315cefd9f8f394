import Foundation
import Logging
import NIOConcurrencyHelpers
import WharfHTTP

/// One line of the access log.
struct AccessRecord: Sendable {
    var time: Double
    var remote: String
    var method: String
    var uri: String
    var version: String
    var status: UInt
    var bytes: Int
    var durationMicros: Int64
    var route: String
    var userAgent: String
    var encoding: String
    /// The response's Content-Type ("-" when it has none, e.g. a 304).
    var type: String
}

/// A structured access log kept off the request path: event loops append records to a bounded
/// buffer, and a background thread writes them through swift-log as one JSON object per line.
/// When the buffer is full, records are dropped and counted rather than slowing responses.
final class AccessLog: @unchecked Sendable {
    private let buffer = NIOLockedValueBox<[AccessRecord]>([])
    private let dropped = NIOLockedValueBox<Int>(0)
    private let capacity: Int
    private let logger: Logger
    private let condition = NSCondition()
    private var stopped = false
    private var thread: Thread?

    /// `destination`: "stdout", "stderr" or a file path (opened for appending).
    init(destination: String, capacity: Int = 65_536) throws {
        self.capacity = capacity
        let stream: JSONLineStream
        switch destination {
        case "stdout": stream = JSONLineStream(handle: FileHandle.standardOutput)
        case "stderr": stream = JSONLineStream(handle: FileHandle.standardError)
        default:
            if !FileManager.default.fileExists(atPath: destination) {
                guard FileManager.default.createFile(atPath: destination, contents: nil) else {
                    throw ConfigError(key: "log.access", problem: "cannot create \(destination)")
                }
            }
            guard let h = FileHandle(forWritingAtPath: destination) else {
                throw ConfigError(key: "log.access", problem: "cannot open \(destination) for writing")
            }
            h.seekToEndOfFile()
            stream = JSONLineStream(handle: h)
        }
        self.logger = Logger(label: "wharf.access") { _ in JSONLineLogHandler(stream: stream) }
        let thread = Thread { [self] in run() }
        thread.name = "wharf-access-log"
        self.thread = thread
        thread.start()
    }

    func record(_ r: AccessRecord) {
        let full = buffer.withLockedValue { b -> Bool in
            if b.count >= capacity { return true }
            b.append(r)
            return false
        }
        if full { dropped.withLockedValue { $0 += 1 } }
    }

    private func run() {
        while true {
            condition.lock()
            _ = condition.wait(until: Date(timeIntervalSinceNow: 0.1))
            let stop = stopped
            condition.unlock()
            flush()
            if stop { return }
        }
    }

    /// Writes out everything buffered so far.
    func flush() {
        let batch = buffer.withLockedValue { b -> [AccessRecord] in
            let out = b
            b.removeAll(keepingCapacity: true)
            return out
        }
        let lost = dropped.withLockedValue { d -> Int in
            let n = d
            d = 0
            return n
        }
        if lost > 0 { logger.warning("access log records dropped", metadata: ["dropped": "\(lost)"]) }
        for r in batch {
            logger.info("request", metadata: [
                "time": "\(r.time)", "remote": "\(r.remote)", "method": "\(r.method)", "uri": "\(r.uri)",
                "version": "\(r.version)", "status": "\(r.status)", "bytes": "\(r.bytes)",
                "duration_us": "\(r.durationMicros)", "route": "\(r.route)", "user_agent": "\(r.userAgent)",
                "encoding": "\(r.encoding)",
                "type": "\(r.type)",
            ])
        }
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
        flush()
    }
}

/// Serialises writes to one file handle.
final class JSONLineStream: @unchecked Sendable {
    private let handle: FileHandle
    private let lock = NIOLock()
    init(handle: FileHandle) { self.handle = handle }
    func write(_ line: String) {
        lock.withLock { handle.write(Data(line.utf8)) }
    }
}

/// A swift-log handler writing `{"level":…,"msg":…,<metadata>}` lines.
struct JSONLineLogHandler: LogHandler {
    let stream: JSONLineStream
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var line = "{\"level\":\"\(event.level)\",\"msg\":\(JSONText.quote(event.message.description))"
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        for (k, v) in merged.sorted(by: { $0.key < $1.key }) {
            line += ",\(JSONText.quote(k)):\(JSONText.quote(v.description))"
        }
        line += "}\n"
        stream.write(line)
    }
}
