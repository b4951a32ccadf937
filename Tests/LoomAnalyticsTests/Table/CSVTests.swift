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
        #expect(throws: AnalyticsError.badData(file: "d.csv", line: 3, column: 5, field: nil, expected: "2 fields", found: "3")) {
            try CSV.parse(Array("a,b\n1,2\n1,2,3\n".utf8), file: "d.csv")
        }
        #expect(throws: AnalyticsError.badData(file: "d.csv", line: 3, column: 3, field: "b", expected: "a number", found: "'x'")) {
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
        #expect(throws: AnalyticsError.badData(file: "q.csv", line: 4, column: 2, field: "b", expected: "2 fields", found: "1")) {
            try CSV.rows(Array("a,b\n\"x\ny\",1\nz\n".utf8), file: "q.csv")
        }
        // A byte order mark before the header is dropped.
        #expect(try CSV.rows([0xEF, 0xBB, 0xBF] + Array("id,x\n1,2\n".utf8), file: "b.csv").header == ["id", "x"])
        #expect(throws: AnalyticsError.badData(file: "q.csv", line: 2, column: 1, field: "a", expected: "a closing quote", found: "the end of the file")) {
            try CSV.rows(Array("a\n\"open\n".utf8), file: "q.csv")
        }
    }

    @Test func errorsReadFileLineColumnAndQuoteAnExcerpt() {
        let huge = String(repeating: "é", count: 100_000)
        do {
            _ = try CSV.parse(Array("id,amount\nx,1\n\"é,\",\(huge)\n".utf8), file: "d.csv", types: ["amount": .number])
            Issue.record("parsed")
        } catch {
            // Column 6 counts characters: `"é,",` is five.
            #expect("\(error)" == "d.csv:3:6: error: field 'amount': expected a number, found '\(String(repeating: "é", count: 40))... (100000 characters)'")
        }
    }

    @Test func duplicateHeaderNamesAreALocatedError() {
        #expect(throws: AnalyticsError.badData(file: "h.csv", line: 1, column: 4, field: nil, expected: "distinct column names", found: "'id' again (first at column 1)")) {
            try CSV.rows(Array("id,id,x\n1,2,3\n".utf8), file: "h.csv")
        }
        #expect(throws: AnalyticsError.self) { try CSV.parse(Array("a,b,a\n".utf8), file: "h.csv") }
    }

    /// Skipping drops exactly the malformed records and counts them; the rows after an
    /// unterminated quote are read again from the next line.
    @Test func skippingMalformedRecords() throws {
        let text = "a,b\n1,2\n1,2,3\n4\n5,6\n\"open,7\n8,9\n"
        let rows = try CSV.rows(Array(text.utf8), file: "s.csv", reading: CSV.Reading(skipBadRows: true))
        #expect(rows.columns == [["1", "5", "8"], ["2", "6", "9"]])
        #expect(rows.lines == [2, 5, 7])
        #expect(rows.skipped == ["wrong number of fields": 2, "unterminated quote": 1])
        #expect(rows.skippedLines == [3, 4, 6])
        // Failing instead names the first one.
        #expect(throws: AnalyticsError.badData(file: "s.csv", line: 3, column: 5, field: nil, expected: "2 fields", found: "3")) {
            try CSV.rows(Array(text.utf8), file: "s.csv")
        }
        #expect(throws: AnalyticsError.badData(file: "s.csv", line: 2, column: 1, field: "a", expected: "a closing quote", found: "the end of the file")) {
            try CSV.rows(Array("a,b\n\"open,7\n8,9\n".utf8), file: "s.csv")
        }
        // The quote on line 2 swallows the '""' of line 3 as an escaped quote and runs to the end;
        // read again from line 3, the same '""' is an empty field.
        let resumed = try CSV.rows(Array("a,b\n\"x,1\n3,\"\"\n".utf8), file: "s.csv", reading: CSV.Reading(skipBadRows: true))
        #expect(resumed.columns == [["3"], [""]] && resumed.lines == [3] && resumed.skipped == ["unterminated quote": 1])
    }

    /// Invalid UTF-8 would become U+FFFD and merge different ids; strict reading refuses it.
    @Test func invalidUTF8IsABadRowWhenStrict() throws {
        let bytes = Array("id,x\n".utf8) + [0x61, 0xFF, 0x2C, 0x31, 0x0A] + [0x61, 0xFE, 0x2C, 0x32, 0x0A] + Array("b,3\n".utf8)
        #expect(try CSV.rows(bytes, file: "u.csv").columns[0] == ["a\u{FFFD}", "a\u{FFFD}", "b"])   // lenient: the two ids merge
        #expect(throws: AnalyticsError.badData(file: "u.csv", line: 2, column: 1, field: "id", expected: "text in UTF-8", found: "invalid UTF-8")) {
            try CSV.rows(bytes, file: "u.csv", reading: CSV.Reading(strictUTF8: true))
        }
        let kept = try CSV.rows(bytes, file: "u.csv", reading: CSV.Reading(skipBadRows: true, strictUTF8: true))
        #expect(kept.columns == [["b"], ["3"]] && kept.skipped == ["invalid UTF-8": 2])
    }

    /// `CSV.locate` rescans a record to find a field's column: a second reading of the format,
    /// so it is checked against the writer and reader on random tables (quotes, commas, newlines
    /// inside fields, multi-byte characters, CRLF): the line and column it gives, turned back into
    /// a byte offset, is where that field's encoded text starts.
    @Test func locateAgreesWithTheReader() throws {
        var rng = SeededRandom(seed: 5)
        let pieces = ["a", "é", "😀", ",", "\"", "\n", " ", "x y", "1.5", ""]
        for _ in 0..<200 {
            let columns = rng.int(below: 4) + 1, count = rng.int(below: 6)
            let names = (0..<columns).map { "c\($0)" }
            let cells = (0..<count).map { _ in (0..<columns).map { _ in (0..<rng.int(below: 4)).map { _ in pieces[rng.int(below: pieces.count)] }.joined() } }
            var text = names.joined(separator: ",") + "\n"
            for row in cells {
                var out: [UInt8] = []
                for (j, cell) in row.enumerated() {
                    if j > 0 { out.append(0x2C) }
                    CSV.appendField(cell, to: &out)
                }
                text += String(decoding: out, as: UTF8.self) + (rng.int(below: 2) == 0 ? "\n" : "\r\n")
            }
            let bytes = Array(text.utf8)
            let rows = try CSV.rows(bytes, file: "r.csv")
            // Blank rows (one empty field) are skipped by the reader, so match rows by content.
            let kept = cells.filter { !($0.count == 1 && $0[0].isEmpty) }
            #expect(rows.count == kept.count)
            for r in 0..<rows.count {
                for j in 0..<columns {
                    #expect(rows[r, j] == kept[r][j])
                    let at = rows.location(row: r, field: j)
                    var field: [UInt8] = []
                    CSV.appendField(kept[r][j], to: &field)
                    let offset = Self.offset(bytes, line: at.line, column: at.column)
                    #expect(Array(bytes[offset..<min(bytes.count, offset + field.count)]) == field, "\(text) row \(r) field \(j)")
                }
            }
        }
    }

    /// The byte offset of a 1-based line and column (columns count characters, as errors give them).
    static func offset(_ bytes: [UInt8], line: Int, column: Int) -> Int {
        var i = 0, l = 1
        while l < line, i < bytes.count { if bytes[i] == 0x0A { l += 1 }; i += 1 }
        var c = 1
        while c < column, i < bytes.count {
            i += 1
            while i < bytes.count, bytes[i] & 0xC0 == 0x80 { i += 1 }
            c += 1
        }
        return i
    }
}
