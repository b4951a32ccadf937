import Foundation
import LoomAnalytics
import Testing
@testable import LoomTasks

/// The report's funnel read in pieces (`ReportKind.funnelCounts`) against the whole-table count it
/// replaced: the sessions reaching view, cart and purchase, or no funnel, over random event tables.
@Suite struct ReportFunnelTests {
    /// The whole-table count, as the report computed it before.
    static func wholeTable(_ bytes: [UInt8]) -> [Double]? {
        guard let t = try? CSV.parse(bytes, file: "in.csv", types: ["session": .text, "event_type": .text]),
              let sessions = try? t.texts("session"), let types = try? t.texts("event_type") else { return nil }
        var reached: [String: Set<String>] = ["view": [], "cart": [], "purchase": []]
        for (s, e) in zip(sessions, types) where reached[e] != nil { reached[e]!.insert(s) }
        return ["view", "cart", "purchase"].map { Double(reached[$0]!.count) }
    }

    @Test(arguments: 0..<100) func piecesCountAsTheWholeTable(_ trial: Int) throws {
        var rng = SeededRandom(seed: 5, stream: UInt64(trial))
        func pick<T>(_ xs: [T]) -> T { xs[rng.int(below: xs.count)] }
        var names = ["session", "event_type", "time", "note"]
        if rng.bernoulli(0.1) { names.removeFirst() }
        names.shuffle(using: &rng)
        var text = names.joined(separator: ",") + "\n"
        for _ in 0..<rng.int(below: 50) {
            text += names.map { n in
                switch n {
                case "session": return pick(["s1", "s2", "s3", "\"s,4\"", ""])
                case "event_type": return pick(["view", "cart", "purchase", "search"])
                case "time": return pick(["1", "x", ""])
                default: return pick(["a", "\"b\nc\""])
                }
            }.joined(separator: ",") + "\n"
        }
        if rng.bernoulli(0.05) { text += "only,one\n" }
        let path = FileManager.default.temporaryDirectory.path + "/loom-funnel-\(getpid())-\(trial).csv"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let streamed = (try? ReportKind.funnelCounts(path)) ?? nil
        #expect(streamed == Self.wholeTable(Array(text.utf8)), "\(text)")
    }
}
