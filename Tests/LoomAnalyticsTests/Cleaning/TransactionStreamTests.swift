import Foundation
import Testing
@testable import LoomAnalytics

/// `EventIngest.streamTransactions` (pieces, purchases only) against `EventIngest.transactions` of
/// the table read whole as `customer_features` reads it (time and price inferred): the same table
/// whenever the whole-table path has purchases, and an error whenever it cannot stand for it;
/// pieces with and without quotes, ASCII or not, CRLF and blank lines (the in-place scan and the parse).
@Suite struct TransactionStreamTests {
    static let names = ["user", "session", "event_type", "time", "price", "product"]

    static func randomLog(_ rng: inout SeededRandom) -> (log: [UInt8], names: [String]) {
        func pick<T>(_ xs: [T]) -> T { xs[rng.int(below: xs.count)] }
        var names = Self.names
        names.shuffle(using: &rng)
        var out = Array((names.joined(separator: ",") + "\n").utf8)
        for _ in 0..<rng.int(below: 40) {
            let row = names.map { name -> String in
                switch name {
                case "user": return rng.bernoulli(0.1) ? "\"u,3\"" : pick(["u1", "u2", "caf\u{E9}", ""])
                case "event_type": return pick(["view", "purchase", "order_placed", "cart"])
                case "time": return rng.bernoulli(0.03) ? "soon" : pick(["86400", "90000.5", "172800", "-5", ""])
                case "price": return rng.bernoulli(0.03) ? "free" : pick(["1.5", "", "0", "-2", "30", "1e2"])
                default: return "\(name.prefix(1))\(rng.int(below: 3))"
                }
            }
            out += Array((row.joined(separator: ",") + (rng.bernoulli(0.2) ? "\r\n" : "\n")).utf8)
            if rng.bernoulli(0.05) { out += Array(pick(["\n", "\r\n"]).utf8) }
        }
        if rng.bernoulli(0.05) { out += Array("only,two".utf8) }
        return (out, names)
    }

    @Test(arguments: 0..<200) func streamIsTransactions(_ trial: Int) throws {
        var rng = SeededRandom(seed: 44, stream: UInt64(trial))
        let (log, names) = Self.randomLog(&rng)
        let purchase = rng.bernoulli(0.7) ? "purchase" : "order_placed"
        let path = FileManager.default.temporaryDirectory.path + "/loom-tx-\(getpid())-\(trial).csv"
        try Data(log).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let whole: Table? = try? {
            let t = try CSV.parse(log, file: "in.csv", types: ["user": .text, "session": .text, "event_type": .text, "product": .text])
            guard try t.texts("event_type").contains(purchase) else { return nil }
            return try EventIngest.transactions(t, purchaseType: purchase)
        }()
        for block in [1, 5, 64, 1 << 20] {
            let streamed = try? EventIngest.streamTransactions(path: path, file: "in.csv", purchaseType: purchase, blockSize: block)
            // Compared as written: an empty time is NaN, which no table equals.
            if let streamed { #expect(CSV.encode(streamed) == whole.map(CSV.encode), "block \(block):\n\(String(decoding: log, as: UTF8.self))") }
            // The same purchases from parts of a few bytes as from the whole piece (scanned on all cores).
            if let scan = try? PurchaseScan(names: names, purchaseType: purchase), !log.contains(0x22), CSVPieces.isASCII(log),
               let header = log.firstIndex(of: 0x0A) {
                var whole = PurchaseScan.Found(), parts = PurchaseScan.Found()
                let a = Result { try scan.scan(log, from: header + 1, to: log.count, into: &whole) }
                let b = Result { try scan.scanParts(log, from: header + 1, partBytes: block, into: &parts) }
                #expect((try? a.get()) != nil ? (try? b.get()) != nil && parts.customers == whole.customers && parts.purchases == whole.purchases
                                              : (try? b.get()) == nil)
            }
            // The stream may give up where the whole table succeeds (an inferred column), never the reverse.
            if whole == nil { #expect(streamed == nil) }
        }
    }
}
