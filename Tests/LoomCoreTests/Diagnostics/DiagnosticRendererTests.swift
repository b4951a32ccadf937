import Foundation
import Testing
@testable import LoomCore

@Suite struct DiagnosticRendererTests {
    @Test func aNeedRepeatedTenThousandTimesPrintsThreeErrorsAndACount() {
        let yaml = "tasks:\n  a: {kind: shell, cmd: echo}\n  b:\n    kind: shell\n    cmd: echo\n    needs: [" + Array(repeating: "a", count: 10_000).joined(separator: ", ") + "]\n"
        let start = Date()
        let out = build(yaml).failure
        let line = "    needs: [" + String(repeating: "a, ", count: 36) + "..."   // 120 columns of the 30,000
        #expect(out == """
        dags/t.yaml:6:16: error: task 'b' needs 'a' twice
        \(line)
                       ^
        dags/t.yaml:6:19: error: task 'b' needs 'a' twice
        \(line)
                          ^
        dags/t.yaml:6:22: error: task 'b' needs 'a' twice
        \(line)
                             ^
        note: and 9,996 more like this

        """)
        // Before: over 60 s and 2.2 GB, printing the 50 KB line 9,999 times.
        #expect(Date().timeIntervalSince(start) < 5)
    }

    @Test func atMostMaxShownDiagnosticsArePrinted() {
        let ds = (1...60).map { Diagnostic(.error, "problem \($0)", at: SourceLocation(file: "f", line: $0, column: 1)) }
        let out = DiagnosticRenderer().render(ds)
        #expect(out.hasPrefix("f:1:1: error: problem 1\nf:2:1: error: problem 2\n"))
        #expect(out.hasSuffix("f:50:1: error: problem 50\nnote: and 10 more problems not shown\n"))
    }

    @Test func aLongLineIsQuotedAroundTheCaret() {
        var r = DiagnosticRenderer()
        r.addSource(path: "f", text: "x\n" + String(repeating: "a", count: 200) + "bad" + String(repeating: "c", count: 200) + "\n")
        let out = r.render(Diagnostic(.error, "here", at: SourceLocation(file: "f", line: 2, column: 201), length: 3))
        #expect(out == "f:2:201: error: here\n..." + String(repeating: "a", count: 60) + "bad" + String(repeating: "c", count: 57) + "...\n"
            + String(repeating: " ", count: 63) + "^~~\n")
        // Near the start of the line: no leading "...".
        let early = r.render(Diagnostic(.error, "here", at: SourceLocation(file: "f", line: 2, column: 2)))
        #expect(early == "f:2:2: error: here\n" + String(repeating: "a", count: 120) + "...\n ^\n")
    }

    @Test func aLongMessageIsCutWithItsLength() {
        let name = String(repeating: "n", count: 1_000_000)
        let out = DiagnosticRenderer().render([Diagnostic(.error, "unknown task '\(name)'", notes: [name])])
        let cut = "unknown task '" + String(repeating: "n", count: 386) + "... (1,000,015 characters)"
        #expect(out == "error: \(cut)\nnote: \(String(repeating: "n", count: 400))... (1,000,000 characters)\n")
    }

    @Test func groupedNumbers() {
        #expect([0, 7, 999, 1000, 9997, 1_000_000, -12345].map(DiagnosticRenderer.grouped) == ["0", "7", "999", "1,000", "9,997", "1,000,000", "-12,345"])
    }
}

@Suite struct DiagnosticErrorTests {
    /// Interpolated as text (`loom gc`'s warning about a DAG that does not load), an error with
    /// 9,999 problems is one line, not a dump of every value.
    @Test func describesTheFirstProblemAndCountsTheRest() {
        let ds = (1...9_999).map { Diagnostic(.error, "task 'b' needs 'a' twice", at: SourceLocation(file: "dags/t.yaml", line: 6, column: $0)) }
        #expect("\(DiagnosticError(ds))" == "dags/t.yaml:6:1: task 'b' needs 'a' twice (and 9,998 more)")
        #expect("\(DiagnosticError([Diagnostic(.error, "x")]))" == "x")
    }
}
