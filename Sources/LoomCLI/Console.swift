import Foundation
import LoomCore

/// All terminal output goes through here: one lock, so lines from parallel tasks never interleave.
/// On a TTY lines are coloured (unless `NO_COLOR` is set, see `Colour`); without one (cron, CI)
/// they are plain and each line of a run (progress, warnings, failures, the summary) starts with
/// a UTC timestamp; other commands' output never does.
public final class Console: @unchecked Sendable {
    private let lock = NSLock()
    public let isTTY: Bool
    public var quiet = false
    /// Whether stdout and stderr get colours.
    public let colours: Bool, errorColours: Bool

    public init() {
        isTTY = isatty(1) == 1
        let noColor = Environment.value("NO_COLOR"), term = Environment.value("TERM")
        colours = Colour.wanted(tty: isTTY, noColor: noColor, term: term)
        errorColours = Colour.wanted(tty: isatty(2) == 1, noColor: noColor, term: term)
    }

    /// Text in a colour when the stream it goes to shows colours.
    public func paint(_ s: String, _ c: Colour, error: Bool = false) -> String {
        (error ? errorColours : colours) ? c.wrap(s) : s
    }

    /// On a TTY, a live line kept under the output (`[3/10] running: a, b`), redrawn after each line.
    private var statusLine = ""

    public func out(_ s: String) {
        lock.lock(); defer { lock.unlock() }
        write(s.hasSuffix("\n") ? s : s + "\n")
    }

    /// Bytes as they are (a log's text), under the same lock.
    public func raw(_ bytes: [UInt8]) {
        lock.lock(); defer { lock.unlock() }
        bytes.withUnsafeBufferPointer { _ = FileSystem.writeAll(1, $0) }
    }

    /// Must hold the lock. Clears the live line, writes, redraws it.
    private func write(_ text: String) {
        let clear = isTTY && !statusLine.isEmpty ? "\r\u{1B}[K" : ""
        let redraw = isTTY && !statusLine.isEmpty ? statusLine : ""
        Self.emit(1, clear + text + redraw)
    }

    /// Whether `status` shows anything (a TTY, not --quiet).
    public var showsStatus: Bool { isTTY && !quiet }

    /// Sets (or with "" removes) the live status line; a no-op without a TTY or with --quiet.
    public func status(_ line: String) {
        guard showsStatus else { return }
        lock.lock(); defer { lock.unlock() }
        let width = 100
        let shown = line.count > width ? String(line.prefix(width - 1)) + "…" : line
        Self.emit(1, "\r\u{1B}[K" + shown)
        statusLine = shown
    }

    public func err(_ s: String) {
        lock.lock(); defer { lock.unlock() }
        if isTTY && !statusLine.isEmpty { Self.emit(1, "\r\u{1B}[K") }
        Self.emit(2, s.hasSuffix("\n") ? s : s + "\n")
        if isTTY && !statusLine.isEmpty { Self.emit(1, statusLine) }
    }

    /// A progress line: silent with --quiet, timestamped without a TTY.
    public func progress(_ s: @autoclosure () -> String) {
        guard !quiet else { return }
        lock.lock(); defer { lock.unlock() }
        let line = isTTY ? s() : "\(stamp()) \(s())"
        write(line.hasSuffix("\n") ? line : line + "\n")
    }

    /// Progress lines, each as `progress` prints it, with one write.
    public func progress(lines: [String]) {
        guard !quiet, !lines.isEmpty else { return }
        lock.lock(); defer { lock.unlock() }
        let prefix = isTTY ? "" : stamp() + " "
        var text = ""
        text.reserveCapacity(lines.count * (prefix.utf8.count + 24))
        for line in lines {
            text += prefix
            text += line
            text += "\n"
        }
        write(text)
    }

    /// The UTC timestamp of progress lines, made once per second (must hold the lock): formatting
    /// it was half of printing a line, 0.19 ms of a 200-task no-op.
    private var stampSecond = Int.min, stampText = ""
    private func stamp() -> String {
        let now = time(nil)
        if now != stampSecond {
            stampSecond = now
            stampText = Self.timestamp(at: now)
        }
        return stampText
    }

    /// A line of a run's own story that is printed even with --quiet (its summary, a task's
    /// failure with its log tail, a warning): like progress lines, every line of it starts with
    /// the UTC timestamp without a TTY, so a nightly log's last line is dated too.
    public func runLine(_ s: String, error: Bool) {
        let text = isTTY ? s : Self.stamped(s)
        if error { err(text) } else { out(text) }
    }

    /// Each line of `s` after the UTC timestamp and a space. Joined by hand: the generic `joined`
    /// costs 0.08 ms of first-use conformance lookups at the end of every run.
    static func stamped(_ s: String, at stamp: String = timestamp()) -> String {
        var text = ""
        var first = true
        for line in s.split(separator: "\n", omittingEmptySubsequences: false) {
            if !first { text += "\n" }
            first = false
            text += stamp
            text += " "
            text += String(line)   // String's own +=: with a Substring it is generic (a conformance scan)
        }
        return text
    }

    /// Writes to a standard stream with write(2): a closed or full one loses the text rather
    /// than stopping the command (FileHandle's `write` traps on an error), and it costs no
    /// Foundation set-up on a no-op run.
    private static func emit(_ fd: Int32, _ text: String) {
        var text = text
        text.withUTF8 { _ = FileSystem.writeAll(fd, $0) }
    }

    /// The current second (truncated, as `stamp` has it), as `2026-12-05T03:04:05Z`.
    static func timestamp(at second: Int = time(nil)) -> String {
        UTCTime(Date(timeIntervalSince1970: Double(second))).isoSeconds
    }

    static func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }

    static func seconds(_ d: Double?) -> String {
        guard let d else { return "-" }
        return d < 10 ? NumberText.fixed(d, 2) + "s" : d < 600 ? NumberText.fixed(d, 1) + "s" : String(format: "%dm%02ds", Int(d) / 60, Int(d) % 60)
    }

    /// The last `n` lines of a task's log (see `LogTail`).
    static func tail(_ path: String, _ n: Int) -> [String] { LogTail.lines(path, n) }
}

/// ANSI colours (SGR codes: four of them do not need a library). On when the stream is a terminal,
/// `NO_COLOR` is unset or empty (https://no-color.org) and `TERM` is not `dumb`.
public enum Colour: String, Sendable {
    case red = "31", green = "32", yellow = "33", cyan = "36", dim = "2", bold = "1"

    public func wrap(_ s: String) -> String { "\u{1B}[\(rawValue)m\(s)\u{1B}[0m" }

    public static func wanted(tty: Bool, environment: [String: String]) -> Bool {
        wanted(tty: tty, noColor: environment["NO_COLOR"], term: environment["TERM"])
    }

    public static func wanted(tty: Bool, noColor: String?, term: String?) -> Bool {
        tty && (noColor ?? "").isEmpty && term != "dumb"
    }
}
