import Foundation
import Testing
@testable import LoomAnalytics

/// `Clean.stream` (pieces of the file, a set of kept rows' hashes and positions) against
/// `Clean.events` on the whole table written by `CSVRowWriter.write`: the same bytes, summary and
/// purchase count, or both failing, over random event tables with duplicates within and across
/// pieces, numbers equal in value but not in text, canonically equal texts in different bytes,
/// quotes, CRLF, blank lines and a byte order mark, read in pieces from 1 byte up.
@Suite struct CleanStreamTests {
    struct Outcome: Equatable { var bytes: [UInt8]; var summary: Clean.Summary; var purchases: Int }

    static func randomTable(_ rng: inout SeededRandom) -> [UInt8] {
        func pick<T>(_ xs: [T]) -> T { xs[rng.int(below: xs.count)] }
        var names = ["user", "session", "event_type", "time", "price", "product", "category", "brand"]
        if rng.bernoulli(0.5) { names.append("device") }
        names.shuffle(using: &rng)
        let crlf = rng.bernoulli(0.3)
        var out: [UInt8] = rng.bernoulli(0.2) ? [0xEF, 0xBB, 0xBF] : []
        func end() { out += crlf && rng.bernoulli(0.8) ? [0x0D, 0x0A] : [0x0A] }
        out += Array(names.joined(separator: ",").utf8)
        end()
        var rows: [[String]] = []
        for _ in 0..<rng.int(below: 60) {
            if !rows.isEmpty && rng.bernoulli(0.3) { rows.append(pick(rows)); continue }   // a duplicate, near or far
            rows.append(names.map { name in
                switch name {
                case "user": return pick(["", "u1", "u2", "caf\u{E9}", "cafe\u{301}"])
                case "session": return rng.bernoulli(0.05) ? "" : "s\(rng.int(below: 3))"
                case "event_type": return pick(["view", "cart", "purchase", "order"])
                case "time": return pick(["100", "100.0", "200", "5", "300", ""])
                case "price": return pick(["1.5", "1.50", "", "-2", "0", "7"])
                case "device": return pick(["ios", "\"a,b\"", "\"x\ny\"", "\"q\"\"q\""])
                default: return "\(name.prefix(1))\(rng.int(below: 2))"
                }
            })
        }
        for r in rows {
            while rng.bernoulli(0.05) { end() }
            out += Array(r.joined(separator: ",").utf8)
            end()
        }
        if rng.bernoulli(0.05) { out += Array("bad,row".utf8); end() }
        if rng.bernoulli(0.05), !rows.isEmpty, let t = names.firstIndex(of: "time") {
            var r = rows[0]; r[t] = "noon"; out += Array(r.joined(separator: ",").utf8); end()
        }
        return out
    }

    enum Got: Equatable { case cleaned(Outcome), failed }

    func outcome(_ body: () throws -> Outcome) -> Got {
        do { return .cleaned(try body()) } catch { return .failed }
    }

    @Test(arguments: 0..<300) func streamIsEvents(_ trial: Int) throws {
        var rng = SeededRandom(seed: 12, stream: UInt64(trial))
        let table = Self.randomTable(&rng)
        let columns = [Clean.Rules.defaultDuplicateColumns, ["user", "time"], ["device", "user"], ["user", "user"], ["nothing"]][rng.int(below: 5)]
        let rules = Clean.Rules(duplicateColumns: columns, purchaseEvent: rng.bernoulli(0.5) ? "purchase" : "order",
                                purchaseNeedsPrice: rng.bernoulli(0.7), dropNegativePrices: rng.bernoulli(0.7))
        let start: Double? = rng.bernoulli(0.5) ? 50 : nil, end: Double? = rng.bernoulli(0.5) ? 250 : nil
        let dir = FileManager.default.temporaryDirectory.path + "/loom-clean-\(getpid())-\(trial)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(table).write(to: URL(fileURLWithPath: dir + "/in.csv"))
        let expected = outcome {
            let t = try CSV.parse(table, file: "in.csv", types: Clean.columnTypes, otherColumns: .text)
            let (out, s) = try Clean.events(t, start: start, end: end, rules: rules)
            try CSVRowWriter.write(out, to: dir + "/expected.csv")
            let bytes = try #require(FileManager.default.contents(atPath: dir + "/expected.csv"))
            return Outcome(bytes: [UInt8](bytes), summary: s, purchases: try t.texts("event_type").filter { $0 == rules.purchaseEvent }.count)
        }
        for block in [1, 2, 7, 64, 1 << 20] {
            let got = outcome {
                let r = try Clean.stream(path: dir + "/in.csv", file: "in.csv", start: start, end: end, rules: rules, to: dir + "/out.csv", blockSize: block)
                let bytes = try #require(FileManager.default.contents(atPath: dir + "/out.csv"))
                return Outcome(bytes: [UInt8](bytes), summary: r.summary, purchases: r.purchases)
            }
            #expect(got == expected, "block \(block), table:\n\(String(decoding: table, as: UTF8.self))")
            if got != expected { break }
        }
    }

    /// Rows whose hashes collide are told apart by their values: every distinct row is kept, every
    /// repeat found, through the table's growth.
    @Test func collisionsNeverDrop() throws {
        var seen = SeenRows(capacity: 2)
        for round in 0..<2 {
            for k in 0..<500 {
                // Every row has one of three hashes; `isSame` compares the rows' "values" (their offsets here).
                let repeated = try seen.insert(hash: k % 3, offset: k * 10, length: 10) { o, n in o == k * 10 && n == 10 }
                #expect(repeated == (round == 1))
            }
        }
        #expect(seen.count == 500)
        let long = try seen.insert(hash: 7, offset: 1 << 30, length: 1 << 25) { _, _ in false }
        #expect(!long)
        #expect(try seen.insert(hash: 7, offset: 0, length: 0) { o, n in o == 1 << 30 && n == 1 << 25 })
    }
}
