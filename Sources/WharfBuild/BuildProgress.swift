import Foundation

/// Live progress of a build, shown as a redrawn bar on a terminal or as a plain line every few
/// seconds otherwise (CI logs). Updated from the worker threads; drawing is throttled, so a
/// 10,000-file build does not spend its time printing.
public final class BuildProgress: @unchecked Sendable {
    public enum Style: Sendable {
        /// A bar redrawn in place (`\r`) at most ten times a second.
        case bar
        /// A line every `interval` seconds.
        case lines(interval: Double)
        case off
    }

    private let style: Style
    private let write: @Sendable (String) -> Void
    private let lock = NSLock()
    private var phase = ""
    private var total = 0, done = 0
    private var totalBytes = 0, doneBytes = 0
    private var phaseStart = Date()
    private var lastDraw = Date.distantPast
    private var drewBar = false

    /// `write` receives the text to print (to standard error, by the CLI).
    public init(style: Style, write: @escaping @Sendable (String) -> Void) {
        self.style = style
        self.write = write
    }

    /// A progress that prints nothing.
    public static let silent = BuildProgress(style: .off, write: { _ in })

    /// Starts a phase of `total` items weighing `bytes`.
    func begin(_ phase: String, total: Int, bytes: Int) {
        lock.lock()
        finishBarLocked()
        self.phase = phase
        self.total = total
        self.done = 0
        self.totalBytes = bytes
        self.doneBytes = 0
        phaseStart = Date()
        lastDraw = .distantPast
        lock.unlock()
        advance(items: 0, bytes: 0)
    }

    /// `items` more done, weighing `bytes`.
    func advance(items: Int = 1, bytes: Int) {
        lock.lock()
        defer { lock.unlock() }
        done += items
        doneBytes += bytes
        let now = Date()
        switch style {
        case .off:
            return
        case .bar:
            guard now.timeIntervalSince(lastDraw) >= 0.1 || done == total else { return }
            lastDraw = now
            drewBar = true
            write("\r\u{1B}[K" + line(now: now, bar: true))
        case .lines(let interval):
            guard now.timeIntervalSince(lastDraw) >= interval || (done == total && total > 0) else { return }
            if lastDraw == .distantPast && done < total { lastDraw = now; return }   // nothing to say yet
            lastDraw = now
            write(line(now: now, bar: false) + "\n")
        }
    }

    /// Ends the bar's line, before anything else is printed.
    func finish() {
        lock.lock()
        finishBarLocked()
        lock.unlock()
    }

    /// A note between phases (printed in every style but `off`).
    func note(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        if case .off = style { return }
        finishBarLocked()
        write(text + "\n")
    }

    private func finishBarLocked() {
        if drewBar { write("\n"); drewBar = false }
    }

    /// `writing [########------------]  4,213/10,001 files   96.1/243.0 MiB   ETA 0:41`
    private func line(now: Date, bar: Bool) -> String {
        let fraction = totalBytes > 0 ? Double(doneBytes) / Double(totalBytes)
            : total > 0 ? Double(done) / Double(total) : 1
        var s = phase
        if bar {
            let width = 24
            let filled = min(width, Int((fraction * Double(width)).rounded(.down)))
            s += " [" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "]"
        }
        s += " \(Self.grouped(done))/\(Self.grouped(total)) files"
        if totalBytes > 0 {
            s += String(format: "  %.1f/%.1f MiB", Double(doneBytes) / 1_048_576, Double(totalBytes) / 1_048_576)
        }
        let elapsed = now.timeIntervalSince(phaseStart)
        if done == total {
            s += String(format: "  done in %.1f s", elapsed)
        } else if fraction > 0.01, elapsed > 0.5 {
            let left = Int((elapsed / fraction - elapsed).rounded())
            s += String(format: "  ETA %d:%02d", left / 60, left % 60)
        }
        return s
    }

    static func grouped(_ n: Int) -> String {
        let digits = String(n)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }
}
