import Testing
@testable import LoomAnalytics

@Suite struct CleanTests {
    @Test func dropsByFirstReasonAndKeepsOrder() throws {
        let t = Table([
            ("user", .text(["u", "u", "", "u", "u", "u", "u"])), ("session", .text(["s", "s", "s", "s", "s", "s", "s"])),
            ("event_type", .text(["view", "view", "view", "purchase", "view", "view", "cart"])),
            ("time", .number([10, 10, 11, 12, 13, 99, 14])), ("price", .number([5, 5, 5, .nan, -1, 5, 7])),
            ("product", .text(["a", "a", "a", "a", "a", "a", "b"])), ("category", .text(Array(repeating: "", count: 7))), ("brand", .text(Array(repeating: "", count: 7))),
        ])
        let (out, s) = try Clean.events(t, start: 0, end: 50)
        #expect(try out.numbers("time") == [10, 14])
        #expect(s == Clean.Summary(rowsIn: 7, rowsOut: 2, dropped: ["duplicate": 1, "missing id": 1, "purchase without price": 1, "negative price": 1, "outside range": 1]))
    }

    /// Two views without a price are duplicates (missing equals missing); a different time, price
    /// or product is another event.
    @Test func missingPricesDuplicateEachOther() throws {
        let n = 5
        let t = Table([
            ("user", .text(Array(repeating: "u", count: n))), ("session", .text(Array(repeating: "s", count: n))),
            ("event_type", .text(Array(repeating: "view", count: n))), ("time", .number([1, 1, 2, 1, 1])),
            ("price", .number([.nan, .nan, .nan, 3, .nan])), ("product", .text(["a", "a", "a", "a", "b"])),
            ("category", .text(Array(repeating: "", count: n))), ("brand", .text(Array(repeating: "", count: n))),
        ])
        let (out, s) = try Clean.events(t)
        #expect(try out.texts("product") == ["a", "a", "a", "b"])
        #expect(s.dropped == ["duplicate": 1])
    }
}
