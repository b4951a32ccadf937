import Foundation
import Testing
@testable import LoomAnalytics

/// `EventIngest.stream` (pieces of the file, rows written as checked) against `EventIngest.run`
/// (the whole file, then `CSV.encode`): the same bytes, summary, per-type counts, or the same
/// error, over random logs with quotes, CRLF, blank lines, a byte order mark, bad rows, invalid
/// UTF-8 and unterminated quotes, read in pieces from 1 byte up.
@Suite struct EventIngestStreamTests {
    struct Outcome: Equatable { var bytes: [UInt8]; var summary: TransactionIngest.Summary; var types: [String: Int] }

    static func randomLog(_ rng: inout SeededRandom) -> [UInt8] {
        func pick<T>(_ xs: [T]) -> T { xs[rng.int(below: xs.count)] }
        var names = ["user", "sess", "type", "ts", "price", "prod", "cat", "brand", "dev"]
        names.shuffle(using: &rng)
        let crlf = rng.bernoulli(0.3), datetime = rng.bernoulli(0.5)
        var out: [UInt8] = rng.bernoulli(0.2) ? [0xEF, 0xBB, 0xBF] : []
        func end() { out += crlf && rng.bernoulli(0.8) ? [0x0D, 0x0A] : [0x0A] }
        func blanks() { while rng.bernoulli(0.15) { out += Array(pick(["", "\"\"", "\r"]).utf8); end() } }
        blanks()
        out += Array(names.map { $0 == "dev" && rng.bernoulli(0.5) ? "\"dev\"" : $0 }.joined(separator: ",").utf8)
        end()
        for r in 0..<rng.int(below: 40) {
            blanks()
            var fields: [String] = names.map { name in
                switch name {
                case "user": return rng.bernoulli(0.05) ? "" : "u\(rng.int(below: 5))"
                case "sess": return rng.bernoulli(0.05) ? "" : "s\(rng.int(below: 5))"
                case "type": return pick(["view", "View ", "cart", "purchase", "\"re,move\""])
                case "ts":
                    if rng.bernoulli(0.05) { return "x" }
                    let t = 1_569_888_000 + rng.int(below: 100_000)
                    return datetime ? ShopGenerator.timestamp(Double(t)) : String(t)
                case "price": return pick(["12.5", "", "3", "-1", "abc", "\"4\""])
                case "dev": return pick(["ios", "\"a\nb\"", "\"say \"\"hi\"\"\"", "\"x\"y", "a\"b", " sp "])
                default: return "\(name)\(rng.int(below: 3))"
                }
            }
            if rng.bernoulli(0.04) { fields.removeLast() }
            var line = Array(fields.joined(separator: ",").utf8)
            if rng.bernoulli(0.03) { line.insert(0xFF, at: rng.int(below: line.count + 1)) }
            if rng.bernoulli(0.02) && r > 2 { line += Array(",\"open".utf8) }
            out += line
            if rng.bernoulli(0.95) { end() }
        }
        return out
    }

    enum Got: Equatable { case read(Outcome), failed(String) }

    func outcome(_ body: () throws -> Outcome) -> Got {
        do { return .read(try body()) } catch { return .failed("\(error)") }
    }

    @Test(arguments: 0..<300) func streamIsRun(_ trial: Int) throws {
        var rng = SeededRandom(seed: 91, stream: UInt64(trial))
        let log = Self.randomLog(&rng)
        let extra = [[], ["dev"], ["dev", "dev"], ["missing"]][rng.int(below: 4)]
        let config = EventIngest.Config(user: "user", session: "sess", eventType: "type", time: "ts", price: "price", product: "prod",
                                        category: "cat", brand: rng.bernoulli(0.1) ? nil : "brand", timeFormat: .auto,
                                        skipBadRows: rng.bernoulli(0.6), extra: extra)
        let dir = FileManager.default.temporaryDirectory.path + "/loom-ingest-\(getpid())-\(trial)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(log).write(to: URL(fileURLWithPath: dir + "/in.csv"))
        let expected = outcome {
            let (t, s) = try EventIngest.run(bytes: log, file: "in.csv", config: config)
            var types: [String: Int] = [:]
            for x in try t.texts("event_type") { types[x, default: 0] += 1 }
            return Outcome(bytes: CSV.encode(t), summary: s, types: types)
        }
        for block in [1, 2, 3, 7, 16, 64, 1 << 20] {
            let got = outcome {
                let r = try EventIngest.stream(path: dir + "/in.csv", file: "in.csv", config: config, to: dir + "/out.csv", blockSize: block)
                let bytes = try #require(FileManager.default.contents(atPath: dir + "/out.csv"))
                return Outcome(bytes: [UInt8](bytes), summary: r.summary, types: r.typeCounts)
            }
            #expect(got == expected, "block \(block), log:\n\(String(decoding: log, as: UTF8.self))")
            if got != expected { break }
        }
    }

    /// Pieces end at record boundaries, never inside quotes, and together are the file.
    @Test func piecesCoverTheFile() throws {
        let text = "\u{FEFF}\n\"\"\na,b\n1,\"x\ny\"\r\n2,\"\"\"\"\n3,4"
        let path = FileManager.default.temporaryDirectory.path + "/loom-chunks-\(getpid()).csv"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        var chunks = try CSVChunks(path: path, blockSize: 1)
        var pieces: [String] = [], lines: [Int] = []
        while let c = try chunks.next() { pieces.append(String(decoding: c.bytes, as: UTF8.self)); lines.append(c.firstLine) }
        #expect(pieces == ["\u{FEFF}\n\"\"\na,b\n", "1,\"x\ny\"\r\n", "2,\"\"\"\"\n", "3,4"])
        #expect(lines == [1, 4, 6, 7])
        #expect(chunks.header.map { String(decoding: $0, as: UTF8.self) } == "\u{FEFF}\n\"\"\na,b\n")
    }
}
