import Foundation
import Testing
@testable import LoomAnalytics

/// `CSV.encode` (blocks on all cores, integers digit by digit) against `CSV.encodeSerially`, byte
/// for byte, over random tables.
@Suite struct CSVEncodeTests {
    static let specials: [Double] = [0, -0.0, 1, -1, 9, 10, -10, 99, 100, 9_007_199_254_740_991, -9_007_199_254_740_991,
                                     9_007_199_254_740_992, -9_007_199_254_740_992, 1e15, 1e16, 1e17, 1e300, .nan, .infinity,
                                     -.infinity, 0.1, 1e-5, 2.5e20, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 123456789012]

    static func number(_ rng: inout SeededRandom) -> Double {
        switch rng.int(below: 5) {
        case 0: return specials[rng.int(below: specials.count)]
        case 1: return Double(rng.int(below: 2_000_001) - 1_000_000)
        case 2: return (rng.uniform() - 0.5) * pow(10, Double(rng.int(below: 40) - 20))
        case 3: return Double(bitPattern: rng.next())
        default: return (rng.uniform() - 0.5).rounded() * pow(2, Double(rng.int(below: 64)))
        }
    }

    @Test func randomTablesGiveTheSerialWritersBytes() {
        var rng = SeededRandom(seed: 31)
        let words = ["a", "b,c", "say \"hi\"", " padded ", "two\nlines", "cr\r", "", "é"]
        for k in 0..<60 {
            let rows = k < 3 ? k : [5, 100, CSV.encodeBlockRows - 1, CSV.encodeBlockRows, 2 * CSV.encodeBlockRows + 7][k % 5]
            var t = Table()
            for j in 0..<(1 + rng.int(below: 4)) {
                if rng.bernoulli(0.25) { t.append("t\(j)", .text((0..<rows).map { _ in words[rng.int(below: words.count)] })) } else { t.append("n\(j)", .number((0..<rows).map { _ in Self.number(&rng) })) }
            }
            #expect(CSV.encode(t) == CSV.encodeSerially(t), "table \(k)")
        }
    }

    /// `write` writes the blocks one after another: the file holds `encodeSerially`'s bytes, also
    /// over an existing longer file.
    @Test func writeWritesTheSameBytes() throws {
        var rng = SeededRandom(seed: 32)
        let t = Table([("x", .number((0..<(2 * CSV.encodeBlockRows + 3)).map { _ in Self.number(&rng) })), ("s", .text((0..<(2 * CSV.encodeBlockRows + 3)).map { "r\($0)" }))])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("csv-write-\(getpid()).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(repeating: 0x41, count: 3_000_000).write(to: URL(fileURLWithPath: path))
        try CSV.write(t, to: path)
        #expect(FileManager.default.contents(atPath: path).map { [UInt8]($0) } == CSV.encodeSerially(t))
        #expect(throws: AnalyticsError.self) { try CSV.write(t, to: "/nonexistent-dir/x.csv") }
    }

    @Test func integersAsStringWritesThem() {
        var out: [UInt8] = []
        for n: Int64 in [0, 1, -1, 9, 10, -10, 1234567890, .max, .min + 1, 9_007_199_254_740_991] {
            out.removeAll()
            CSV.appendInteger(n, to: &out)
            #expect(out == Array(String(n).utf8))
        }
    }
}
