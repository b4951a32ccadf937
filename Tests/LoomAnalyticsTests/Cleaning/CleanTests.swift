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

    /// A log without prices: the old rules drop every purchase; with `purchaseNeedsPrice` off they
    /// stay. Events of different types in the same second are never duplicates of each other.
    @Test func aLogWithoutPricesKeepsItsPurchasesAndSameSecondEvents() throws {
        let n = 5
        let t = Table([
            ("user", .text(Array(repeating: "u", count: n))), ("session", .text(Array(repeating: "s", count: n))),
            ("event_type", .text(["checkout_start", "payment_error", "order_placed", "order_placed", "logout"])), ("time", .number([7, 7, 8, 8, 8])),
            ("price", .number(Array(repeating: .nan, count: n))), ("product", .text(Array(repeating: "", count: n))),
            ("category", .text(Array(repeating: "", count: n))), ("brand", .text(Array(repeating: "", count: n))),
        ])
        let (strict, s1) = try Clean.events(t, rules: .init(purchaseEvent: "order_placed"))
        #expect(try strict.texts("event_type") == ["checkout_start", "payment_error", "logout"])
        #expect(s1.dropped == ["purchase without price": 2])
        let (kept, s2) = try Clean.events(t, rules: .init(purchaseEvent: "order_placed", purchaseNeedsPrice: false))
        #expect(try kept.texts("event_type") == ["checkout_start", "payment_error", "order_placed", "logout"])
        #expect(s2 == Clean.Summary(rowsIn: 5, rowsOut: 4, dropped: ["duplicate": 1]))
        // Duplicates by user and time only: one event per second survives.
        let (perSecond, s3) = try Clean.events(t, rules: .init(duplicateColumns: ["user", "time"], purchaseNeedsPrice: false))
        #expect(try perSecond.texts("event_type") == ["checkout_start", "order_placed"])
        #expect(s3.dropped == ["duplicate": 3])
    }

    @Test func negativePricesCanBeKept() throws {
        let t = Table([("user", .text(["u", "u"])), ("session", .text(["s", "s"])), ("event_type", .text(["refund", "view"])),
                       ("time", .number([1, 2])), ("price", .number([-5, 5])), ("product", .text(["a", "a"])),
                       ("category", .text(["", ""])), ("brand", .text(["", ""]))])
        #expect(try Clean.events(t).1.dropped == ["negative price": 1])
        #expect(try Clean.events(t, rules: .init(dropNegativePrices: false)).0.rowCount == 2)
    }

    @Test(arguments: [([], "at least one column"), (["user", "user"], "each column once"), (["user", "device"], "columns of the event table")])
    func badDuplicateColumnsNameTheParam(columns: [String], expected: String) throws {
        let t = Table([("user", .text(["u"])), ("session", .text(["s"])), ("event_type", .text(["view"])), ("time", .number([1])),
                       ("price", .number([1])), ("product", .text(["a"])), ("category", .text([""])), ("brand", .text([""]))])
        do {
            _ = try Clean.events(t, rules: .init(duplicateColumns: columns))
            Issue.record("no error for \(columns)")
        } catch {
            #expect("\(error)".contains("parameter 'duplicate_columns'") && "\(error)".contains(expected), "\(error)")
        }
    }
}
