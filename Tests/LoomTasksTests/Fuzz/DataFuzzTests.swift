import Foundation
import LoomAnalytics
import LoomCore
import Testing
@testable import LoomTasks

/// Data files, mutated: CSV for the ingest kinds and the generic reader, `metrics.json` as a shell
/// task may write it. Nothing crashes; bad data is a located error with a short message (or a
/// skipped, counted row); time and memory stay bounded.
@Suite struct DataFuzzTests {
    static let csvCorpus = [
        "id,date,amt\n1,19970101,2.5\n2,19970102,3\n1,19970110,10\n",
        "\u{FEFF}customer,time,amount\r\n\"a,1\",2019-10-01,\"2.5\"\r\nb,2019-10-02,1e3\r\n\r\n\"say \"\"hi\"\"\",2019-10-03,-1\r\n",
        "id,date,amt\n\"two\nlines\",19970101,1\nx,19970102,\n,19970103,1\n3,1997-01-04,x\n",
        "id,date,amt\n" + String(repeating: "7,19970105,1.25\n", count: 200),
    ]
    static let csvTokens = [",", "\"", "\"\"", "\n", "\r\n", "\r", "\u{FEFF}", "\u{FFFD}", "é", "\u{0}", "\u{FF}", "inf", "-inf", "nan", "1e999",
                            "id,id", "19970101", "2019-10-01 00:00:00 UTC", "1569888000", " ", "amt", "+", "."]

    /// The line count of a file as an editor shows it (a located error may point one past a last line without newline).
    static func lineCount(_ bytes: [UInt8]) -> Int { bytes.reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) } }

    @Test func mutatedCSVIngestsOrGivesLocatedErrors() throws {
        let fuzzer = Fuzzer(corpus: Self.csvCorpus, tokens: Self.csvTokens)
        let n = fuzzer.run(seed: 11, iterations: 4_000, seconds: 4) { bytes in
            for skip in [false, true] {
                let config = TransactionIngest.Config(customer: "id", time: "date", amount: "amt", skipBadRows: skip)
                do {
                    let (table, summary) = try TransactionIngest.run(bytes: bytes, file: "data/t.csv", config: config)
                    #expect(table.rowCount == summary.rowsKept)
                    #expect(summary.rowsRead == summary.rowsKept + summary.skipped.values.reduce(0, +))
                    // Whatever is kept is valid UTF-8 (no id was decoded to U+FFFD from a bad byte).
                    for id in try table.texts("customer") { #expect(!id.isEmpty) }
                } catch let e as AnalyticsError {
                    Self.checkLocated(e, bytes)
                } catch {
                    Issue.record("unexpected \(error)")
                }
            }
            do { _ = try CSV.parse(bytes, file: "data/t.csv") } catch let e as AnalyticsError { Self.checkLocated(e, bytes) } catch {
                Issue.record("unexpected \(error)")
            }
        }
        #expect(n > Self.csvCorpus.count)
        #expect(Fuzzer.peakMemory < Fuzzer.memoryLimit)
    }

    static func checkLocated(_ e: AnalyticsError, _ bytes: [UInt8]) {
        switch e {
        case let .badData(file, line, column, _, _, _):
            #expect(file == "data/t.csv" && line >= 1 && line <= lineCount(bytes) && column >= 1)
            #expect("\(e)".hasPrefix("data/t.csv:\(line):\(column): error: "))
        default:
            Issue.record("unexpected \(e)")
        }
        // An excerpt, never the whole field: the mutants hold fields of up to 64 KiB.
        #expect("\(e)".utf8.count < 600)
    }

    static let metricsCorpus = [
        #"{"auc": 0.91, "n": 120, "ok": true, "nested": {"a": {"b": 1e-3}}, "list": [1, 2], "s": "x"}"#,
        #"{"\u00e9t\u00e9": -1.5E+2, "\ud83d\ude00": 0, "esc": "\"\\\/\b\f\n\r\t"}"#,
        #"{"bad": "\ud800\u0041", "x": 1}"#,
        "{" + String(repeating: "\"a\":{", count: 60) + "\"v\":1" + String(repeating: "}", count: 60) + "}",
        "[" + String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000) + "]",
    ]
    static let metricsTokens = [#"\ud800"#, #"\udc00"#, #"\u0041"#, #"\u"#, "\\", "\"", "{", "}", "[", "]", ":", ",", "1e999", "-0", "0.",
                                "9223372036854775808", "1e-400", "true", "null", "{\"a\":", "\u{0}", "\u{FF}", String(repeating: "9", count: 400)]

    @Test func mutatedMetricsFilesNeverCrashTheReader() throws {
        let dir = NSTemporaryDirectory() + "loom-fuzz-" + UUID().uuidString
        try FileSystem.makeDirectories(dir)
        defer { FileSystem.removeTree(dir) }
        let fuzzer = Fuzzer(corpus: Self.metricsCorpus, tokens: Self.metricsTokens)
        let n = try fuzzer.run(seed: 12, iterations: 6_000, seconds: 3) { bytes in
            do {
                _ = try JSON.parse(bytes)
            } catch let e as JSON.ParseError {
                #expect(e.offset >= 0 && e.offset <= bytes.count)
            }
            try FileSystem.writeAtomically(dir + "/metrics.json", bytes)
            for (name, value) in Engine.readMetrics(dir) { #expect(!name.isEmpty && value.isFinite) }
        }
        #expect(n > Self.metricsCorpus.count)
        #expect(Fuzzer.peakMemory < Fuzzer.memoryLimit)
    }
}
