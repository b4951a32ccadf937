import Testing
@testable import LoomAnalytics

@Suite struct IngestTests {
    @Test func timeFormats() {
        #expect(TimeFormat.yyyymmdd.seconds("19970101") == 852076800)
        #expect(TimeFormat.date.seconds("1997-01-01") == 852076800)
        #expect(TimeFormat.datetime.seconds("2019-10-01 00:00:05 UTC") == 1569888005)
        #expect(TimeFormat.datetime.seconds("2019-10-01T01:00:00Z") == 1569891600)
        #expect(TimeFormat.datetime.seconds("2019-02-30 00:00:00") == nil)
        #expect(TimeFormat.detect("19970101") == .yyyymmdd && TimeFormat.detect("2019-10-01 00:00:00 UTC") == .datetime)
        // Leap days, and what is not a date: wrong separators, non-ASCII digits, trailing text.
        #expect(TimeFormat.date.seconds("2020-02-29") == 1582934400 && TimeFormat.date.seconds("2019-02-29") == nil)
        for bad in ["1997/01/01", "1997-1-01", "١٩٩٧٠١٠١", "19970101 ", "2019-10-01 00:00:00 GMT", "2019-10-01 24:00:00", "2019-10-01 00:00"] {
            #expect(TimeFormat.date.seconds(bad) == nil && TimeFormat.yyyymmdd.seconds(bad) == nil && TimeFormat.datetime.seconds(bad) == nil, "\(bad)")
        }
    }

    @Test func badRowsFailOrAreCounted() throws {
        let csv = Array("id,date,amt\n1,19970101,2.5\n2,19971301,3\n,19970102,1\n3,19970103,x\n".utf8)
        let config = TransactionIngest.Config(customer: "id", time: "date", amount: "amt", timeFormat: .yyyymmdd)
        #expect(throws: AnalyticsError.badData(file: "t.csv", line: 3, column: 3, field: "date", expected: "a time like 19970101", found: "'19971301'")) {
            try TransactionIngest.run(bytes: csv, file: "t.csv", config: config)
        }
        var skipping = config
        skipping.skipBadRows = true
        let (t, s) = try TransactionIngest.run(bytes: csv, file: "t.csv", config: skipping)
        #expect(t.rowCount == 1 && s.rowsRead == 4 && s.rowsKept == 1)
        #expect(s.skipped == ["bad time": 1, "missing customer": 1, "bad amount": 1] && s.firstSkippedLines == [3, 4, 5])
    }

    /// `on_bad_row: skip` also drops records with the wrong number of fields or an unterminated
    /// quote, and ids that are not UTF-8; all are counted by reason with the value problems.
    @Test func skipCoversMalformedRecords() throws {
        let csv = Array("id,date,amt\n1,19970101,2.5\n2,19970102\n3,19970103,1,9\n".utf8) + [0x34, 0xFF, 0x2C] + Array("19970104,1\n,19970105,1\n\"5,19970106,1\n6,19970107,2\n".utf8)
        var config = TransactionIngest.Config(customer: "id", time: "date", amount: "amt", timeFormat: .yyyymmdd)
        #expect(throws: AnalyticsError.badData(file: "t.csv", line: 3, column: 11, field: "amt", expected: "3 fields", found: "2")) {
            try TransactionIngest.run(bytes: csv, file: "t.csv", config: config)
        }
        config.skipBadRows = true
        let (t, s) = try TransactionIngest.run(bytes: csv, file: "t.csv", config: config)
        #expect(try t.texts("customer") == ["1", "6"])
        #expect(s.skipped == ["wrong number of fields": 2, "invalid UTF-8": 1, "missing customer": 1, "unterminated quote": 1])
        #expect(s.rowsRead == 7 && s.rowsKept == 2 && s.firstSkippedLines == [3, 4, 5, 6, 7])

        let events = Array("u,s,e,t\nu1,s1,view,1\nu2,s2\n".utf8)
        let ec = EventIngest.Config(user: "u", session: "s", eventType: "e", time: "t", timeFormat: .epoch, skipBadRows: true)
        let (et, es) = try EventIngest.run(bytes: events, file: "e.csv", config: ec)
        #expect(et.rowCount == 1 && es.skipped == ["wrong number of fields": 1] && es.rowsRead == 2)
    }

    /// A configured column missing from the header, and a file without one, are located too.
    @Test func missingColumnsAndEmptyFilesPointAtTheHeader() {
        let config = TransactionIngest.Config(customer: "id", time: "date", amount: "amount")
        do { _ = try TransactionIngest.run(bytes: Array("id,date,amt\n1,19970101,2\n".utf8), file: "t.csv", config: config) } catch {
            #expect("\(error)" == "t.csv:1:1: error: expected a column 'amount' (param 'amount'), found the columns id, date, amt")
        }
        #expect(throws: AnalyticsError.badData(file: "t.csv", line: 1, column: 1, field: nil, expected: "a header row", found: "no rows")) {
            try TransactionIngest.run(bytes: Array("\n\n".utf8), file: "t.csv", config: config)
        }
        let events = EventIngest.Config(user: "u", session: "s", eventType: "e", time: "t", extra: ["device"])
        do { _ = try EventIngest.run(bytes: Array("u,s,e,t\n".utf8), file: "e.csv", config: events) } catch {
            #expect("\(error)" == "e.csv:1:1: error: expected a column 'device' (param 'extra'), found the columns u, s, e, t")
        }
    }
}
