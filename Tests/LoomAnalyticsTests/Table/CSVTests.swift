import Testing
@testable import LoomAnalytics

@Suite struct CSVTests {
    @Test func exactBytes() {
        let t = Table([("id", .text(["a", "b,c", "say \"hi\""])), ("x", .number([1, 0.1, .nan])), ("y", .number([-3, 1e-5, 2.5e20]))])
        #expect(String(decoding: CSV.encode(t), as: UTF8.self) == "id,x,y\na,1,-3\n\"b,c\",0.1,1e-05\n\"say \"\"hi\"\"\",,2.5e+20\n")
    }

    @Test func roundTrip() throws {
        let t = Table([("id", .text(["a", "b\nc", " padded "])), ("x", .number([1, 0.1, 1.0 / 3]))])
        let back = try CSV.parse(CSV.encode(t), file: "t.csv")
        #expect(back.names == t.names)
        #expect(back["x"] == t["x"])
        #expect(back["id"] == t["id"])
    }

    @Test func badRowsNameTheLine() {
        #expect(throws: AnalyticsError.badData(file: "d.csv", line: 3, column: "-", expected: "2 fields", found: "3 fields")) {
            try CSV.parse(Array("a,b\n1,2\n1,2,3\n".utf8), file: "d.csv")
        }
        #expect(throws: AnalyticsError.badData(file: "d.csv", line: 3, column: "b", expected: "a number", found: "x")) {
            try CSV.parse(Array("a,b\r\n1,2\r\n1,x\r\n".utf8), file: "d.csv", types: ["b": .number])
        }
    }

    @Test func inferredTypes() throws {
        let t = try CSV.parse(Array("n,s,e\n1,x,\n2.5,3,\n".utf8), file: "f")
        #expect(t["n"] == .number([1, 2.5]))
        #expect(t["s"] == .text(["x", "3"]))
        #expect(t["e"]?.numbers?.allSatisfy(\.isNaN) == true)   // all missing: a numeric column of NaN
        #expect(throws: AnalyticsError.missingColumn(name: "z", available: ["n", "s", "e"])) { try t.numbers("z") }
        #expect(try t.matrix(["n"]).values == [1, 2.5])
    }

    /// RFC 4180 cases by hand: quoted separators, doubled quotes and newlines inside quotes (the
    /// line count goes on), CRLF, blank lines skipped, a last row without a newline.
    @Test func quotingLineEndsAndLineNumbers() throws {
        let text = "id,note\r\n\r\n\"a,1\",\"say \"\"hi\"\"\"\r\nb,\"two\nlines\"\n\nc,\nd,last"
        let rows = try CSV.rows(Array(text.utf8), file: "q.csv")
        #expect(rows.header == ["id", "note"])
        #expect(rows.columns == [["a,1", "b", "c", "d"], ["say \"hi\"", "two\nlines", "", "last"]])
        #expect(rows.lines == [3, 4, 7, 8])
        #expect(rows[1, 1] == "two\nlines" && rows.count == 4)
        // The record after one spanning lines 2-3 starts on line 4.
        #expect(throws: AnalyticsError.badData(file: "q.csv", line: 4, column: "-", expected: "2 fields", found: "1 fields")) {
            try CSV.rows(Array("a,b\n\"x\ny\",1\nz\n".utf8), file: "q.csv")
        }
        // A byte order mark before the header is dropped.
        #expect(try CSV.rows([0xEF, 0xBB, 0xBF] + Array("id,x\n1,2\n".utf8), file: "b.csv").header == ["id", "x"])
        #expect(throws: AnalyticsError.badData(file: "q.csv", line: 2, column: "-", expected: "a closing quote", found: "end of file")) {
            try CSV.rows(Array("a\n\"open\n".utf8), file: "q.csv")
        }
    }
}
