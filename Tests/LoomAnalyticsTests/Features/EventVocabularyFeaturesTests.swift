import Foundation
import Testing
@testable import LoomAnalytics

/// `SessionFeatures` on a second event vocabulary: twelve types, prices on some, the purchase named
/// `order_placed`, events of different types in the same second. Every expected value below is
/// worked out by hand from the rows of `events()` (the same rows as Tests/Fixtures/clickstream.csv
/// after cleaning).
@Suite struct EventVocabularyFeaturesTests {
    static let rows: [(session: String, type: String, time: Double, price: Double)] = [
        ("s_a", "page_view", 1000, .nan), ("s_a", "search", 1010, .nan), ("s_a", "product_view", 1020, 20), ("s_a", "add_to_cart", 1020, 20),
        ("s_a", "product_view", 1030, 40), ("s_a", "promo_page", 1040, .nan), ("s_a", "checkout_start", 1050, .nan),
        ("s_a", "payment_error", 1050, .nan), ("s_a", "coupon_applied", 1060, .nan), ("s_a", "order_placed", 1070, 60), ("s_a", "logout", 1080, .nan),
        ("s_b", "page_view", 70000, .nan), ("s_b", "product_view", 70005, .nan), ("s_b", "wishlist", 70010, .nan), ("s_b", "add_to_cart", 70010, 15),
        ("s_b", "remove_item", 70020, .nan), ("s_b", "product_view", 70030, 5),
        ("s_c", "search", 5000, .nan), ("s_c", "order_placed", 5010, .nan),
        ("s_d", "page_view", 9000, .nan), ("s_d", "checkout_start", 9100, .nan),
    ]

    /// The canonical event table, rows shuffled by a fixed permutation (sessions interleaved; the
    /// same-second pairs keep their order, which decides their positions).
    static func events() -> Table {
        let order = [11, 0, 17, 12, 1, 19, 2, 3, 13, 14, 4, 18, 5, 15, 6, 7, 20, 16, 8, 9, 10]
        let r = order.map { rows[$0] }
        let users = r.map { ["s_a": "u1", "s_b": "u1", "s_c": "u2", "s_d": "u3"][$0.session]! }
        let empty = [String](repeating: "", count: r.count)
        return Table([("user", .text(users)), ("session", .text(r.map(\.session))), ("event_type", .text(r.map(\.type))),
                      ("time", .number(r.map(\.time))), ("price", .number(r.map(\.price))), ("product", .text(empty)),
                      ("category", .text(empty)), ("brand", .text(empty))])
    }

    static let vocabulary = SessionFeatures.Config(labelEvent: "order_placed", viewEvents: ["product_view"], cartEvents: ["add_to_cart"],
                                                   removeEvents: ["remove_item"], priceEvents: ["product_view", "add_to_cart"])

    func column(_ t: Table, _ name: String) throws -> [Double] { try t.numbers(name) }

    @Test func fixedFeaturesFollowTheVocabularyParams() throws {
        let t = try SessionFeatures.compute(Self.events(), config: Self.vocabulary)
        #expect(try t.texts("session") == ["s_a", "s_b", "s_c", "s_d"])
        #expect(try t.texts("user") == ["u1", "u1", "u2", "u3"])
        // s_a: product_view x2 before order_placed; add_to_cart x1. s_b: remove_item once.
        #expect(try column(t, "views") == [2, 2, 0, 0])
        #expect(try column(t, "carts") == [1, 1, 0, 0])
        #expect(try column(t, "removes") == [0, 1, 0, 0])
        // Priced: s_a 20 (view) + 20 (cart) + 40 (view) = 80 over 3; s_b 15 (cart) + 5 (view) over 2
        // (its unpriced product_view does not count); the order's 60 comes at the label, never counted.
        #expect(try column(t, "mean_price") == [80.0 / 3, 10, 0, 0])
        #expect(try column(t, "log_mean_price") == [log(80.0 / 3), log(10.0), 0, 0])
        #expect(try column(t, "min_price") == [20, 5, 0, 0])
        #expect(try column(t, "max_price") == [40, 15, 0, 0])
        // First event 1000 s = 00:16 UTC, 70000 s = 19:26, 5000 s = 01:23, 9000 s = 02:30.
        #expect(try column(t, "hour") == [0, 19, 1, 2])
        #expect(try column(t, "evening") == [0, 1, 0, 0])
        // 1060 - 1000 (logout after the order is not counted), 70030 - 70000, one event, 9100 - 9000.
        #expect(try column(t, "duration") == [60, 30, 0, 100])
        #expect(try column(t, "label") == [1, 0, 1, 0])
        // Without per-type params the columns are the shop's.
        #expect(t.names == ["user", "session"] + SessionFeatures.featureNames + ["label"])
    }

    @Test func everyTypeIsCountedInByteOrderWithPositions() throws {
        var c = Self.vocabulary
        c.typeCounts = .all
        c.typePositions = true
        let t = try SessionFeatures.compute(Self.events(), config: c)
        // Eleven types: all twelve but the label event, in byte order.
        let types = ["add_to_cart", "checkout_start", "coupon_applied", "logout", "page_view", "payment_error", "product_view", "promo_page",
                     "remove_item", "search", "wishlist"]
        #expect(t.names == ["user", "session"] + SessionFeatures.featureNames + types.map { "count." + $0 } + ["distinct_types"]
                + types.map { "first." + $0 } + types.map { "last." + $0 } + ["label"])
        // Rows s_a, s_b, s_c, s_d. s_a before its order: page_view, search, product_view,
        // add_to_cart (same second, input order), product_view, promo_page, checkout_start,
        // payment_error (same second), coupon_applied; its logout comes after the order.
        let counts: [String: [Double]] = [
            "add_to_cart": [1, 1, 0, 0], "checkout_start": [1, 0, 0, 1], "coupon_applied": [1, 0, 0, 0], "logout": [0, 0, 0, 0],
            "page_view": [1, 1, 0, 1], "payment_error": [1, 0, 0, 0], "product_view": [2, 2, 0, 0], "promo_page": [1, 0, 0, 0],
            "remove_item": [0, 1, 0, 0], "search": [1, 0, 1, 0], "wishlist": [0, 1, 0, 0],
        ]
        for type in types { #expect(try column(t, "count." + type) == counts[type], "count.\(type)") }
        #expect(try column(t, "distinct_types") == [8, 5, 1, 2])
        // s_b: page_view 1, product_view 2, wishlist 3, add_to_cart 4 (same second, input order),
        // remove_item 5, product_view 6.
        let first: [String: [Double]] = [
            "add_to_cart": [4, 4, 0, 0], "checkout_start": [7, 0, 0, 2], "coupon_applied": [9, 0, 0, 0], "logout": [0, 0, 0, 0],
            "page_view": [1, 1, 0, 1], "payment_error": [8, 0, 0, 0], "product_view": [3, 2, 0, 0], "promo_page": [6, 0, 0, 0],
            "remove_item": [0, 5, 0, 0], "search": [2, 0, 1, 0], "wishlist": [0, 3, 0, 0],
        ]
        var last = first
        last["product_view"] = [5, 6, 0, 0]
        for type in types {
            #expect(try column(t, "first." + type) == first[type], "first.\(type)")
            #expect(try column(t, "last." + type) == last[type], "last.\(type)")
        }
    }

    @Test func listedTypesKeepTheirOrderAndAbsentOnesAreRefusedOrZero() throws {
        var c = Self.vocabulary
        c.typeCounts = .listed(["search", "add_to_cart"])
        let t = try SessionFeatures.compute(Self.events(), config: c)
        #expect(t.names.filter { $0.hasPrefix("count.") } == ["count.search", "count.add_to_cart"])
        #expect(try column(t, "count.search") == [1, 0, 1, 0])
        // distinct_types counts every type, listed or not.
        #expect(try column(t, "distinct_types") == [8, 5, 1, 2])
        c.typeCounts = .listed(["search", "refund"])
        #expect(throws: AnalyticsError.self) { try SessionFeatures.compute(Self.events(), config: c) }
        do { _ = try SessionFeatures.compute(Self.events(), config: c) } catch let AnalyticsError.invalidParameter(name, value, _) {
            #expect(name == "event_types" && value == "refund")
        }
        c.absentTypes = .zero
        #expect(try column(try SessionFeatures.compute(Self.events(), config: c), "count.refund") == [0, 0, 0, 0])
    }

    /// The shop's vocabulary is the default: its purchase ends the features, views carry the prices.
    @Test func defaultsAreTheShopsVocabulary() throws {
        let t = Table([("user", .text(["u", "u", "u", "u"])), ("session", .text(["s", "s", "s", "s"])),
                       ("event_type", .text(["view", "cart", "view", "purchase"])), ("time", .number([0, 1, 2, 3])),
                       ("price", .number([4, 100, 8, 8])), ("product", .text(["a", "a", "b", "b"])),
                       ("category", .text(["", "", "", ""])), ("brand", .text(["", "", "", ""]))])
        let f = try SessionFeatures.compute(t)
        #expect(try f.numbers("views") == [2] && f.numbers("carts") == [1] && f.numbers("mean_price") == [6] && f.numbers("label") == [1])
    }
}
