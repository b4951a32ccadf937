import Foundation
import LoomCore
import Testing

/// Small inputs that used to crash or blow up `loom`, run through the real binary.
@Suite struct InputLimitsTests {
    /// `"\ud800\u0041"` in metrics.json trapped the JSON parser inside `loom run` (on the task's
    /// waiter thread). Now the lone surrogate reads as U+FFFD, the task succeeds, its numbers count;
    /// a metrics file nested 100,000 deep is ignored.
    @Test func metricsWithALoneSurrogateOrDeepNestingDoNotCrashTheRun() throws {
        let s = Sandbox()
        s.write("data/m.json", #"{"bad": "\ud800\u0041", "\ud800": 2, "auc": 0.5}"#)
        s.write("data/deep.json", String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000))
        s.write("dags/t.yaml", """
        tasks:
          m: {kind: shell, files: [data/m.json], cmd: cp data/m.json $LOOM_OUT/metrics.json}
          deep: {kind: shell, files: [data/deep.json], cmd: cp data/deep.json $LOOM_OUT/metrics.json}
        """)
        let r = try s.loom("run", "dags/t.yaml", "-q")
        #expect(r.status == 0, "\(r.stderr)")
        let run = try s.lastRun()
        #expect(run.tasks.first { $0.name == "m" }?.metrics == ["auc": 0.5, "\u{FFFD}": 2])
        #expect(run.tasks.first { $0.name == "deep" }?.metrics == [:])
        #expect(run.tasks.allSatisfy { $0.status == .ran })
    }

    /// A 9-level alias bomb (9^9 values): before, over 60 s and 3.5 GB; now refused at once.
    @Test func anAliasBombIsRefusedQuicklyWithALocatedError() throws {
        let s = Sandbox()
        var lines = ["params:", "  a0: &a0 [x, x, x, x, x, x, x, x, x]"]
        for i in 1..<9 { lines.append("  a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 9).joined(separator: ", ") + "]") }
        s.write("dags/t.yaml", (lines + ["tasks:", "  t: {kind: shell, cmd: echo}"]).joined(separator: "\n") + "\n")
        let start = Date()
        let r = try s.loom("run", "dags/t.yaml")
        #expect(Date().timeIntervalSince(start) < 5)
        #expect(r.status == 3)
        #expect(r.stderr == """
        dags/t.yaml:8:12: error: aliases in this file expand to more than 1,000,000 values (each '*name' repeats everything its '&name' holds)
          a6: &a6 [*a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5]
                   ^
        note: write the values out, or use fewer levels of aliases of aliases
        error: 1 error in dags/t.yaml; nothing ran

        """)
    }

    /// A mapping nested 20,000 deep (over 10 s before): refused at the 33rd level, the line quoted
    /// around the caret only.
    @Test func deepNestingIsRefusedQuickly() throws {
        let s = Sandbox()
        s.write("dags/t.yaml", "tasks:\n  t:\n    kind: shell\n    cmd: echo\n    params: "
                + String(repeating: "{a: ", count: 20_000) + "1" + String(repeating: "}", count: 20_000) + "\n")
        let start = Date()
        let r = try s.loom("run", "dags/t.yaml")
        #expect(Date().timeIntervalSince(start) < 5)
        #expect(r.status == 3)
        #expect(r.stderr == "dags/t.yaml:5:129: error: mappings and lists nested more than 32 deep\n..."
                + String(repeating: "{a: ", count: 30) + "...\n" + String(repeating: " ", count: 63) + "^\n"
                + "error: 1 error in dags/t.yaml; nothing ran\n")
    }

    /// One need written 10,000 times: before, over 60 s, 2.2 GB and 450 MB of output.
    @Test func aNeedRepeatedTenThousandTimesGivesShortOutputQuickly() throws {
        let s = Sandbox()
        s.write("dags/t.yaml", "tasks:\n  a: {kind: shell, cmd: x}\n  b:\n    kind: shell\n    cmd: x\n    needs: ["
                + Array(repeating: "a", count: 10_000).joined(separator: ", ") + "]\n")
        let start = Date()
        let r = try s.loom("run", "dags/t.yaml")
        #expect(Date().timeIntervalSince(start) < 10)
        #expect(r.status == 3)
        let line = "    needs: [" + String(repeating: "a, ", count: 36) + "..."
        #expect(r.stderr == """
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
        error: 9,999 errors in dags/t.yaml; nothing ran

        """)
    }

    /// on_bad_row: skip drops rows with the wrong number of fields, an unterminated quote or an id
    /// that is not UTF-8, and counts them; failing names the first at file:line:column with a
    /// short excerpt of the value, however long.
    @Test func badCSVRowsAreSkippedOrNamedWithAnExcerpt() throws {
        let s = Sandbox()
        let huge = String(repeating: "9x", count: 500_000)
        var csv = Array("id,date,amt\n1,19970101,2.5\n2,19970102\n3,19970103,1,1\n".utf8)
        csv += [0x34, 0xFF] + Array(",19970104,1\n5,19970105,\(huge)\n\"6,19970106,1\n7,19970107,3\n".utf8)
        try FileManager.default.createDirectory(atPath: s.root + "/data", withIntermediateDirectories: true)
        try Data(csv).write(to: URL(fileURLWithPath: s.root + "/data/t.csv"))
        s.write("dags/t.yaml", """
        params: {mode: skip}
        tasks:
          tx:
            kind: ingest
            files: [data/t.csv]
            params: {file: data/t.csv, customer: id, time: date, amount: amt, time_format: yyyymmdd, on_bad_row: "{{params.mode}}"}
        """)
        let r = try s.loom("run", "dags/t.yaml", "-q")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try s.lastRun().tasks.first?.metrics == [
            "rows_read": 7, "rows_kept": 2, "skipped.wrong_number_of_fields": 2, "skipped.invalid_UTF-8": 1,
            "skipped.bad_amount": 1, "skipped.unterminated_quote": 1,
        ])
        #expect(s.read("artifacts/latest/t/tx/transactions.csv") == "customer,time,amount\n1,852076800,2.5\n7,852595200,3\n")

        let fail = try s.loom("run", "dags/t.yaml", "-P", "mode=fail")
        #expect(fail.status == 1)
        #expect(fail.stderr.contains("| data/t.csv:3:11: error: field 'amt': expected 3 fields, found 2\n"))
        #expect(fail.stderr.utf8.count < 2_000)
        // Only the huge value left: its excerpt, not a megabyte, in the terminal and the log.
        try Data(Array("id,date,amt\n5,19970105,\(huge)\n".utf8)).write(to: URL(fileURLWithPath: s.root + "/data/t.csv"))
        let big = try s.loom("run", "dags/t.yaml", "-P", "mode=fail")
        #expect(big.status == 1)
        #expect(big.stderr.contains("| data/t.csv:2:12: error: field 'amt': expected a number, found '" + String(repeating: "9x", count: 20) + "... (1000000 characters)'\n"))
        #expect(big.stderr.utf8.count < 2_000)
    }
}
