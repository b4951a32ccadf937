import Foundation
import Testing
@testable import LoomAnalytics

/// `EventScan` (quote-free pieces read in place, on all cores) against the parsed path
/// (`EventIngest.stream(scan: false)`, itself held to `EventIngest.run` by `EventIngestStreamTests`):
/// the same bytes, summary, per-type counts, or the same error, over random quote-free logs with
/// the values the scan must decide or hand back: prices in every shape, bad times and prices, empty
/// ids, CRs, spaces at a field's ends, upper-case and non-ASCII types, invalid UTF-8, records with
/// another number of fields, blank lines.
@Suite struct EventScanTests {
    struct Outcome: Equatable { var bytes: [UInt8]; var summary: TransactionIngest.Summary; var types: [String: Int] }
    enum Got: Equatable { case read(Outcome), failed(String) }

    static let prices = ["12.5", "", "3", "0", "0.5", "0.0001", "0.00012", "0.00001", "12.50", "007", "1e3", "+5", "-1.5", "-0", ".5", "5.",
                         "abc", "123456789012345", "1234567890123456", "99999999999999.9", "0.123456789012345", "0.1234567890123456",
                         "9007199254740993", "1.7976931348623159e308", "inf", " 4", "4 "]

    /// `clean`: only values the scan decides (it must not give every piece back to the parser).
    static func randomLog(_ rng: inout SeededRandom, format: TimeFormat, clean: Bool) -> [UInt8] {
        func pick<T>(_ xs: [T]) -> T { xs[rng.int(below: xs.count)] }
        var names = ["user", "sess", "type", "ts", "price", "prod", "cat", "brand", "dev"]
        names.shuffle(using: &rng)
        let crlf = rng.bernoulli(0.3)
        func bad(_ p: Double) -> Bool { !clean && rng.bernoulli(p) }
        var out = Array(names.joined(separator: ",").utf8) + [0x0A]
        for _ in 0..<rng.int(below: 60) {
            if bad(0.05) { out += crlf ? [0x0D, 0x0A] : [0x0A] }
            var fields: [String] = names.map { name in
                switch name {
                case "user": return bad(0.05) ? "" : "u\(rng.int(below: 5))"
                case "sess": return bad(0.05) ? "" : "s\(rng.int(below: 5))"
                case "type": return clean ? pick(["view", "cart", "purchase", "add_to_cart2"]) : pick(["view", "View ", "CART", "purchase", "vüe", " x", ""])
                case "ts":
                    if bad(0.05) { return pick(["x", "2019-13-01 00:00:00", "1e999", ""]) }
                    let t = 1_569_888_000 + rng.int(below: 100_000)
                    switch format {
                    case .datetime: return ShopGenerator.timestamp(Double(t))
                    case .date: return CivilDate.format(t / 86400)
                    case .yyyymmdd: return CivilDate.format(t / 86400).replacingOccurrences(of: "-", with: "")
                    default: return pick([String(t), String(t) + ".5", "\(t)e0", "+\(t)"])
                    }
                case "price":
                    if clean { return rng.bernoulli(0.5) ? pick(prices.filter { $0.isEmpty || CSV.number($0) != nil }) : Self.randomPrice(&rng) }
                    return rng.bernoulli(0.5) ? pick(prices) : Self.randomPrice(&rng)
                case "dev": return clean ? pick(["ios", "web", " sp ", "a\rb"]) : pick(["ios", " sp ", "a\rb", "é", "日本"])
                default: return "\(name)\(rng.int(below: 3))"
                }
            }
            if bad(0.03) { fields.removeLast() }
            var line = Array(fields.joined(separator: ",").utf8)
            if bad(0.02) { line.insert(0xFF, at: rng.int(below: line.count + 1)) }
            if bad(0.02) { line.append(0x0D) }
            out += line
            out += crlf && rng.bernoulli(0.8) ? [0x0D, 0x0A] : [0x0A]
        }
        // Without its last LF (a CR before it is then data, in a clean log too: not removed there).
        if rng.bernoulli(0.3), out.last == 0x0A, !(clean && out.dropLast().last == 0x0D) { out.removeLast() }
        return out
    }

    /// Prices as tools write them: shortest round-trip, fixed decimals, up to 17 digits.
    static func randomPrice(_ rng: inout SeededRandom) -> String {
        let v = rng.uniform() * pow(10, Double(rng.int(below: 20) - 6))
        switch rng.int(below: 4) {
        case 0: return CSV.format(v)
        case 1: return String(format: "%.\(rng.int(below: 5))f", v)
        case 2: return String(format: "%.\(1 + rng.int(below: 17))g", v)
        default: return String(rng.int(below: 100_000))
        }
    }

    func outcome(_ body: () throws -> Outcome) -> Got {
        do { return .read(try body()) } catch { return .failed("\(error)") }
    }

    func stream(_ dir: String, _ config: EventIngest.Config, block: Int, scan: Bool) -> Got {
        outcome {
            let r = try EventIngest.stream(path: dir + "/in.csv", file: "in.csv", config: config, to: dir + "/out.csv", blockSize: block, scan: scan)
            let bytes = try #require(FileManager.default.contents(atPath: dir + "/out.csv"))
            return Outcome(bytes: [UInt8](bytes), summary: r.summary, types: r.typeCounts)
        }
    }

    @Test(arguments: 0..<400) func scanIsParse(_ trial: Int) throws {
        var rng = SeededRandom(seed: 93, stream: UInt64(trial))
        let format = [TimeFormat.datetime, .epoch, .date, .yyyymmdd, .auto][rng.int(below: 5)]
        let clean = rng.bernoulli(0.5)
        let log = Self.randomLog(&rng, format: format, clean: clean)
        let config = EventIngest.Config(user: "user", session: "sess", eventType: "type", time: "ts", price: rng.bernoulli(0.1) ? nil : "price",
                                        product: "prod", category: rng.bernoulli(0.1) ? nil : "cat", brand: "brand", timeFormat: format,
                                        skipBadRows: rng.bernoulli(0.6), extra: [[], ["dev"], ["dev", "dev"]][rng.int(below: 3)])
        let dir = FileManager.default.temporaryDirectory.path + "/loom-scan-\(getpid())-\(trial)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(log).write(to: URL(fileURLWithPath: dir + "/in.csv"))
        let expected = stream(dir, config, block: 1 << 20, scan: false)
        if clean, format != .auto, let end = log.firstIndex(of: 0x0A) {   // the scan decides a clean log itself
            let x = try EventIngest.Fields(try CSV.rows(Array(log[...end]), file: "in.csv"), config)
            #expect(EventScan(width: x.width, fields: x, format: format, skipBadRows: config.skipBadRows).scanParts(log, from: end + 1) != nil)
        }
        for block in [1, 5, 64, 1 << 20] {
            let got = stream(dir, config, block: block, scan: true)
            #expect(got == expected, "block \(block), log:\n\(String(decoding: log, as: UTF8.self))")
            if got != expected { break }
        }
    }

    /// A clean log is decided by the scan in every part, and its parts give the same bytes for one
    /// thread or all, and for any part size.
    @Test func cleanPiecesAreScannedTheSameOnAnyThreadCount() throws {
        var rng = SeededRandom(seed: 94)
        var log = Array("user,sess,type,ts,price,prod,cat,brand,dev\n".utf8)
        for r in 0..<5_000 {
            log += Array("u\(r % 97),s\(r % 13),\(["view", "cart", "purchase"][r % 3]),\(1_569_888_000 + r),\(Self.randomPrice(&rng)),p\(r % 7),c,b,ios\n".utf8)
        }
        let header = Array(log[0..<(log.firstIndex(of: 0x0A)! + 1)])
        let h = try CSV.rows(header, file: "in.csv")
        let config = EventIngest.Config(user: "user", session: "sess", eventType: "type", time: "ts", price: "price", product: "prod",
                                        category: "cat", brand: "brand", timeFormat: .epoch, extra: ["dev"])
        let x = try EventIngest.Fields(h, config)
        let scan = EventScan(width: x.width, fields: x, format: .epoch, skipBadRows: false)
        func joined(_ parts: [EventScan.Part]?) -> [UInt8]? { parts.map { $0.reduce([]) { $0 + $1.out } } }
        let serial = try #require(joined(Parallel.limited(to: 1) { scan.scanParts(log, from: header.count, partBytes: 4096) }))
        for size in [1, 100, 4096, 1 << 20] {
            #expect(joined(Parallel.limited(to: 2) { scan.scanParts(log, from: header.count, partBytes: size) }) == serial)
        }
        let kept = try #require(scan.scanParts(log, from: header.count)).reduce(0) { $0 + $1.kept }
        #expect(kept == 5_000)
    }

    /// `CSVChunks.newlines` (eight bytes at a time) counts the LFs a byte loop counts.
    @Test func newlinesAreCounted() {
        var rng = SeededRandom(seed: 96)
        for _ in 0..<2_000 {
            let bytes = (0..<rng.int(below: 100)).map { _ in rng.bernoulli(0.3) ? UInt8(0x0A) : UInt8(truncatingIfNeeded: rng.next()) }
            #expect(CSVChunks.newlines(bytes) == bytes.filter { $0 == 0x0A }.count)
        }
    }

    /// A price the scan copies as written is `CSV.format` of its value.
    @Test func canonicalPricesAreTheirOwnFormat() {
        var rng = SeededRandom(seed: 95)
        var copied = 0
        var samples = Self.prices
        for _ in 0..<200_000 { samples.append(Self.randomPrice(&rng)) }
        for s in samples {
            let canonical = Array(s.utf8).withUnsafeBufferPointer { EventScan.isCanonicalNumber($0) }
            guard canonical else { continue }
            copied += 1
            #expect(CSV.number(s).map(CSV.format) == s, "\(s)")
        }
        #expect(copied > 50_000)
    }
}
