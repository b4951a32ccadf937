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
}
