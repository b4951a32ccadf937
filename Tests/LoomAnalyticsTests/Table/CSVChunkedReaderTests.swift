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
}
