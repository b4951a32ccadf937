import Foundation
import Testing
@testable import LoomAnalytics

/// `CSV.parse` (the chunked reader when it applies) against `CSV.parseSerially` over random files:
/// the same table, or the same located error.
@Suite struct CSVChunkedReaderTests {
    /// Tables equal with NaN equal to NaN (bit for bit: -0 and 0 differ).
    static func same(_ a: Table, _ b: Table) -> Bool {
        guard a.names == b.names else { return false }
        for (x, y) in zip(a.columns, b.columns) {
            switch (x, y) {
            case (.number(let u), .number(let v)): if u.map(\.bitPattern) != v.map(\.bitPattern) { return false }
            case (.text(let u), .text(let v)): if u != v { return false }
            default: return false
            }
        }
        return true
    }

    static func outcome(_ f: () throws -> Table) -> Result<Table, AnalyticsError> {
        do { return .success(try f()) } catch let e as AnalyticsError { return .failure(e) } catch { Issue.record("\(error)"); return .failure(.invalidInput(what: "?", expected: "?")) }
    }

    /// A random cell: numbers in many spellings, empty cells, words, and now and then text that a
    /// number column cannot hold or a quoted field.
    static func cell(_ rng: inout SeededRandom, numeric: Bool, quotes: Bool) -> String {
        let r = rng.int(below: 100)
        if r < 10 { return "" }
        if !numeric || r >= 97 {
            if quotes && rng.bernoulli(0.3) { return ["\"a,b\"", "\"x\"\"y\"", "\"two\nlines\"", "\"\""][rng.int(below: 4)] }
            return ["a", "b c", "id7", "-", ".", "1e", "x1", "nan", "é", "\r"][rng.int(below: 10)]
        }
        let d = (rng.uniform() - 0.5) * pow(10, Double(rng.int(below: 30) - 15))
        switch r % 7 {
        case 0: return String(Int(d))
        case 1: return CSV.format(d)
        case 2: return String(format: "%.6f", d)
        case 3: return String(format: "%.3e", d)
        case 4: return ["inf", "-inf", "+1", "-0", "1.", ".5", "1E5", "0x10"][rng.int(below: 8)]
        case 5: return Double(bitPattern: rng.next()).description
        default: return String(format: "%.17g", d)
        }
    }

    static func randomFile(_ rng: inout SeededRandom) -> [UInt8] {
        let width = 1 + rng.int(below: 5)
        let rows = rng.int(below: 3) == 0 ? rng.int(below: 4) : rng.int(below: 300)
        let quotes = rng.bernoulli(0.15), crlf = rng.bernoulli(0.3)
        let numeric = (0..<width).map { _ in rng.bernoulli(0.8) }
        let newline = crlf ? "\r\n" : "\n"
        var text = rng.bernoulli(0.05) ? "\u{FEFF}" : ""
        var names = (0..<width).map { "c\($0)" }
        if rng.bernoulli(0.03) { names[width - 1] = "c0" }
        text += names.joined(separator: ",") + newline
        for _ in 0..<rows {
            if rng.bernoulli(0.03) { text += newline }
            var fields = (0..<width).map { cell(&rng, numeric: numeric[$0], quotes: quotes) }
            if rng.bernoulli(0.01) { if rng.bernoulli(0.5) { fields.append("1") } else { fields.removeLast() } }
            text += fields.joined(separator: ",") + newline
        }
        if rng.bernoulli(0.3), text.hasSuffix(newline) { text.removeLast(newline == "\n" ? 1 : 1) }
        return Array(text.utf8)
    }

    static func randomTypes(_ rng: inout SeededRandom) -> ([String: CSV.ColumnType], CSV.ColumnType?) {
        var types: [String: CSV.ColumnType] = [:]
        for j in 0..<5 where rng.bernoulli(0.2) { types["c\(j)"] = rng.bernoulli(0.5) ? .number : .text }
        let other: CSV.ColumnType? = [nil, nil, nil, .number, .text][rng.int(below: 5)]
        return (types, other)
    }

    @Test func randomFilesGiveTheSerialReadersTable() {
        var rng = SeededRandom(seed: 21)
        var fast = 0
        for k in 0..<1_500 {
            let bytes = Self.randomFile(&rng)
            let (types, other) = Self.randomTypes(&rng)
            let reference = Self.outcome { try CSV.parseSerially(bytes, file: "r.csv", types: types, otherColumns: other) }
            let chunk = [7, 64, 1 << 20][k % 3]   // tiny chunks put a boundary on almost every line
            let chunked = CSVChunkedReader.parse(bytes, types: types, otherColumns: other, chunkBytes: chunk)
            if let chunked {
                fast += 1
                guard case .success(let t) = reference else { Issue.record("file \(k): the serial reader fails, the chunked one does not"); continue }
                #expect(Self.same(chunked, t), "file \(k): \(String(decoding: bytes, as: UTF8.self).prefix(200))")
            }
            switch (Self.outcome { try CSV.parse(bytes, file: "r.csv", types: types, otherColumns: other) }, reference) {
            case (.success(let a), .success(let b)): #expect(Self.same(a, b), "file \(k)")
            case (.failure(let a), .failure(let b)): #expect(a == b, "file \(k)")
            default: Issue.record("file \(k): one reader fails, the other does not")
            }
        }
        #expect(fast > 500)   // the fast path is taken for most files without quotes
    }

    /// `CSV.read` (the file mapped into memory, not copied) against the serial reader of the same
    /// bytes: random files on disk, an empty file and a missing one.
    @Test func readingAMappedFileGivesTheSerialReadersTable() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("loom-csvread-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rng = SeededRandom(seed: 23)
        for k in 0..<300 {
            let bytes = Self.randomFile(&rng)
            let (types, other) = Self.randomTypes(&rng)
            let path = dir + "/\(k).csv"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let reference = Self.outcome { try CSV.parseSerially(bytes, file: path, types: types, otherColumns: other) }
            switch (Self.outcome { try CSV.read(path, types: types, otherColumns: other) }, reference) {
            case (.success(let a), .success(let b)): #expect(Self.same(a, b), "file \(k)")
            case (.failure(let a), .failure(let b)): #expect(a == b, "file \(k)")
            default: Issue.record("file \(k): one reader fails, the other does not")
            }
        }
        // An empty file cannot be mapped: it is read, and reported as the serial reader reports it.
        try Data().write(to: URL(fileURLWithPath: dir + "/empty.csv"))
        #expect(Self.outcome { try CSV.read(dir + "/empty.csv") } == Self.outcome { try CSV.parseSerially([], file: dir + "/empty.csv") })
        #expect(throws: AnalyticsError.invalidInput(what: "cannot read \(dir)/missing.csv", expected: "an existing, readable CSV file")) {
            try CSV.read(dir + "/missing.csv")
        }
        #expect(throws: AnalyticsError.invalidInput(what: "cannot read \(dir)", expected: "an existing, readable CSV file")) { try CSV.read(dir) }
    }

    /// Thousands of number columns (the parse writes into every column's storage at once, the
    /// columns made one inside another's initialiser), with every spelling of a number, on a
    /// thread with a small stack as built-in kinds may have.
    @Test func wideTablesGiveTheSerialReadersTable() throws {
        var rng = SeededRandom(seed: 24)
        let width = 3_000
        var text = (0..<width).map { "c\($0)" }.joined(separator: ",") + "\n"
        for _ in 0..<40 { text += (0..<width).map { _ in Self.cell(&rng, numeric: true, quotes: false) }.joined(separator: ",") + "\n" }
        let bytes = Array(text.utf8)
        // The thread writes `box.table` before signalling; this thread reads it after waiting.
        final class Box: @unchecked Sendable { var table: Table? }
        let box = Box(), done = DispatchSemaphore(value: 0)
        let thread = Thread { box.table = CSVChunkedReader.parse(bytes, types: [:], otherColumns: nil, chunkBytes: 4096); done.signal() }
        thread.stackSize = 512 << 10
        thread.start()
        done.wait()
        let fast = try #require(box.table)
        #expect(Self.same(fast, try CSV.parseSerially(bytes, file: "wide.csv")))
        #expect(fast.columns.contains { $0.numbers == nil } && fast.columns.contains { $0.numbers != nil })
    }

    /// The same table for any thread limit (chunks are fixed by the bytes, merged in order).
    @Test func threadsDoNotChangeTheTable() throws {
        var rng = SeededRandom(seed: 22)
        var text = "a,b,c\n"
        for i in 0..<20_000 { text += "\(i),\((rng.uniform() - 0.5) * 1e3),\(rng.bernoulli(0.5) ? "x" : "1")\n" }
        let bytes = Array(text.utf8)
        let one = try #require(Parallel.limited(to: 1) { CSVChunkedReader.parse(bytes, types: [:], otherColumns: nil, chunkBytes: 4096) })
        let all = try #require(CSVChunkedReader.parse(bytes, types: [:], otherColumns: nil, chunkBytes: 4096))
        #expect(Self.same(one, all))
        #expect(Self.same(all, try CSV.parseSerially(bytes, file: "t.csv")))
        #expect(all["c"]?.texts?.count == 20_000)
    }

    /// A column filter (`CSV.read(_:columns:)`, the chunked reader with `wanted`, the serial reader)
    /// gives the wanted columns of the full table, in the file's order, and the whole header: random
    /// files with random wanted sets, some naming columns the file lacks. Its only difference from a
    /// full read: the skipped columns are not checked, so a non-number in a skipped number column is
    /// no error.
    @Test func aColumnFilterReadsExactlyTheWantedColumns() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("loom-csvcolumns-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rng = SeededRandom(seed: 25)
        var compared = 0
        for k in 0..<600 {
            let bytes = Self.randomFile(&rng)
            let (types, other) = Self.randomTypes(&rng)
            let wanted = Set((0..<6).filter { _ in rng.bernoulli(0.4) }.map { "c\($0)" })   // c5 is never a column
            let path = dir + "/\(k).csv"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let full = Self.outcome { try CSV.parseSerially(bytes, file: path, types: types, otherColumns: other) }
            let filtered = Self.outcome { try CSV.read(path, columns: wanted, types: types, otherColumns: other).table }
            let header = try? CSV.read(path, columns: wanted, types: types, otherColumns: other).header
            let serial = Self.outcome { try CSV.parseSerially(bytes, file: path, types: types, otherColumns: other, wanted: wanted).table }
            let chunked = CSVChunkedReader.parse(bytes, types: types, otherColumns: other, wanted: wanted, chunkBytes: [7, 64, 1 << 20][k % 3])
            switch (filtered, serial) {
            case (.success(let a), .success(let b)): #expect(Self.same(a, b), "file \(k)")
            case (.failure(let a), .failure(let b)): #expect(a == b, "file \(k)")
            default: Issue.record("file \(k): the mapped and the serial filtered reads differ in failing")
            }
            if let chunked, case .success(let b) = serial { #expect(Self.same(chunked, b), "file \(k)") }
            guard case .success(let t) = full else { continue }
            compared += 1
            guard case .success(let a) = filtered else { Issue.record("file \(k): the full read succeeds, the filtered one fails"); continue }
            #expect(Self.same(a, t.selectingColumns(t.names.filter { wanted.contains($0) })), "file \(k)")
            #expect(header == t.names, "file \(k)")
        }
        #expect(compared > 200)   // 254 of the 600 random files read in full without an error
        // A skipped number column is not read: its non-number is no error, as it is for a full read.
        let text = Array("a,b\n1,x\n2,3\n".utf8)
        #expect(throws: AnalyticsError.self) { try CSV.parse(text, file: "t.csv", types: ["b": .number]) }
        try Data(text).write(to: URL(fileURLWithPath: dir + "/t.csv"))
        let read = try CSV.read(dir + "/t.csv", columns: ["a", "z"], types: ["b": .number])
        #expect(read.table == Table([("a", .number([1, 2]))]))
        #expect(read.header == ["a", "b"])
    }

    /// A large file's pages released chunk by chunk after every pass (`FileBytes.releasingFrom`,
    /// lowered to 0 here) give the table the populated mapping gives: random files, and a 6 MB one
    /// of many chunks and pages with a text column that is read in a second pass over released pages.
    @Test func releasingAMappedFilesPagesGivesTheSameTable() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("loom-csvpages-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rng = SeededRandom(seed: 26)
        for k in 0..<200 {
            let bytes = Self.randomFile(&rng)
            let (types, other) = Self.randomTypes(&rng)
            let path = dir + "/\(k).csv"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let released = Self.outcome { try CSV.read(path, wanted: nil, types: types, otherColumns: other, releasingFrom: 0).table }
            switch (released, Self.outcome { try CSV.parseSerially(bytes, file: path, types: types, otherColumns: other) }) {
            case (.success(let a), .success(let b)): #expect(Self.same(a, b), "file \(k)")
            case (.failure(let a), .failure(let b)): #expect(a == b, "file \(k)")
            default: Issue.record("file \(k): one reader fails, the other does not")
            }
        }
        var text = "id,x,y,word\n"
        for i in 0..<150_000 { text += "\(i),\(CSV.format(rng.uniform())),\(rng.int(below: 1000)),\(i % 7 == 0 ? "w\(i)" : "\(i % 13)")\n" }
        try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/big.csv"))
        let populated = try CSV.read(dir + "/big.csv")
        let released = try CSV.read(dir + "/big.csv", wanted: nil, types: [:], otherColumns: nil, releasingFrom: 0).table
        #expect(Self.same(populated, released))
        #expect(released["word"]?.texts?.count == 150_000 && released.rowCount == 150_000)
    }
}
