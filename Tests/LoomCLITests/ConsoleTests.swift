import Foundation
import Testing
@testable import LoomCLI

@Suite struct ConsoleTests {
    /// A failed task's log is shown by its last lines: read from the end only, each line cut short
    /// (a task printed a gigabyte-long line, and it went to the terminal whole).
    @Test func tailReadsTheEndAndCutsLongLines() throws {
        let path = NSTemporaryDirectory() + "loom-tail-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ("first\n\nsecond\n" + String(repeating: "x", count: 1_000) + "\nlast\n\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(Console.tail(path, 2) == [String(repeating: "x", count: 300) + "...", "last"])
        #expect(Console.tail(path, 10) == ["first", "second", String(repeating: "x", count: 300) + "...", "last"])
        // A log larger than tailBytes: only its end is read, and a line cut by that start is dropped.
        try (String(repeating: "a", count: 100_000) + "\n" + String(repeating: "b\n", count: 40_000) + "end\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(Console.tail(path, 3) == ["b", "b", "end"])
        // One line longer than tailBytes: its end is shown, cut.
        try String(repeating: "z", count: 200_000).write(toFile: path, atomically: true, encoding: .utf8)
        #expect(Console.tail(path, 10) == [String(repeating: "z", count: 300) + "..."])
        #expect(Console.tail(path + ".missing", 10) == [])
    }

    /// Without a terminal, every line of a run line starts with the timestamp; the same as the
    /// generic split-map-join it replaced, on blank lines and line ends too.
    @Test func stampedLinesEachStartWithTheStamp() {
        let t = "2026-12-04T21:00:00Z"
        for s in ["", "one", "a\nb", "a\n", "\n\nx\n", "ünï\n\tcode"] {
            let joined = s.split(separator: "\n", omittingEmptySubsequences: false).map { "\(t) \($0)" }.joined(separator: "\n")
            #expect(Console.stamped(s, at: t) == joined)
        }
        #expect(Console.stamped("a\nb", at: t) == "\(t) a\n\(t) b")
    }
}

/// The live line's text: each running task with its elapsed time.
@Suite struct LiveProgressLineTests {
    @Test func runningTasksShowTheirElapsedTime() {
        let s: UInt64 = 1_000_000_000
        #expect(LiveProgress.line(done: 3, total: 10, running: [("train", 0), ("clv", 53 * s)], now: 65 * s) == "[3/10] running: train 1m05s, clv 12s")
        #expect(LiveProgress.line(done: 10, total: 10, running: [], now: 0) == "[10/10]")
        #expect(LiveProgress.elapsed(0.4) == "0s" && LiveProgress.elapsed(59.9) == "59s" && LiveProgress.elapsed(600) == "10m00s")
        #expect(LiveProgress.elapsed(7380) == "2h03m")
    }
}

/// Issue 14: colour on a terminal, never with NO_COLOR (https://no-color.org), a dumb terminal or
/// a pipe.
@Suite struct ColourTests {
    @Test func wantedOnlyOnAColourTerminal() {
        #expect(Colour.wanted(tty: true, environment: ["TERM": "xterm-256color"]))
        #expect(Colour.wanted(tty: true, environment: [:]))
        #expect(Colour.wanted(tty: true, environment: ["NO_COLOR": ""]))   // empty: unset, as the convention says
        #expect(!Colour.wanted(tty: true, environment: ["NO_COLOR": "1"]))
        #expect(!Colour.wanted(tty: true, environment: ["TERM": "dumb"]))
        #expect(!Colour.wanted(tty: false, environment: ["TERM": "xterm"]))
        #expect(Colour.red.wrap("error:") == "\u{1B}[31merror:\u{1B}[0m")
    }
}

/// The arguments read from argv by hand are the standard library's.
@Suite struct ProcessArgumentsTests {
    @Test func sameAsCommandLine() {
        #expect(ProcessArguments.all == CommandLine.arguments)
        #expect(!ProcessArguments.all.isEmpty)
        #expect(ProcessArguments.commandLine == CommandLine.arguments.joined(separator: " "))
    }
}
