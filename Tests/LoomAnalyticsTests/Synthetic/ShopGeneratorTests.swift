import Foundation
import Testing
@testable import LoomAnalytics

@Suite struct ShopGeneratorTests {
    func small(_ customers: Int = 50, seed: UInt64 = 3) throws -> (Table, ShopGenerator.Truth) {
        var c = ShopGenerator.Config()
        c.customers = customers
        c.seed = seed
        return try ShopGenerator(c).generate()
    }

    @Test func deterministicWithTheRemsSchema() throws {
        let (a, ta) = try small(), (b, _) = try small()
        #expect(CSV.encode(a) == CSV.encode(b))
        #expect(a.names == ["event_time", "event_type", "product_id", "category_id", "category_code", "brand", "price", "user_id", "user_session"])
        #expect(ta.events == a.rowCount && ta.purchaseSessions >= 50)
        let (other, _) = try small(seed: 4)
        #expect(CSV.encode(other) != CSV.encode(a))
        #expect(ShopGenerator.timestamp(1569888005) == "2019-10-01 00:00:05 UTC")
    }

    // End to end through the pipeline's own steps: events -> transactions -> customer features
    // -> BG/NBD. With 3,000 customers each estimate is within 3 standard errors of the truth
    // (a chance failure has probability ~0.3% per parameter).
    @Test func transactionsFollowTheGeneratingBGNBD() throws {
        let (log, truth) = try small(3000, seed: 9)
        let events = try EventIngest.run(bytes: CSV.encode(log), file: "events.csv", config: .init(
            user: "user_id", session: "user_session", eventType: "event_type", time: "event_time", price: "price",
            product: "product_id", category: "category_code", brand: "brand", timeFormat: .datetime)).0
        let tx = try EventIngest.transactions(events)
        #expect(tx.rowCount == truth.purchaseSessions)
        let end = CivilDate.parse(truth.config.end)!
        let f = try CustomerFeatures(customers: try tx.texts("customer"), days: try tx.numbers("time").map { Int($0 / 86400) },
                                     amounts: try tx.numbers("amount"), calibrationEnd: end, holdoutEnd: end)
        #expect(f.rows.count == 3000)
        let m = try BGNBD.fit(frequency: f.rows.map { Double($0.frequency) }, recency: f.rows.map(\.recency), age: f.rows.map(\.age))
        for (est, truth, name) in [(m.r, truth.config.r, "r"), (m.alpha, truth.config.alpha, "alpha"), (m.a, truth.config.a, "a"), (m.b, truth.config.b, "b")] {
            let se = try #require(m.standardErrors[name])
            #expect(abs(est - truth) < 3 * se, "\(name): \(est) vs \(truth) (se \(se))")
        }
    }

    /// Taste groups: a grouped customer's views fall in the group's categories with probability
    /// strength + (1 - strength) q, where q is the share of the (Zipf-weighted) catalogue in them;
    /// checked per group within 0.03 (each group has thousands of views, so the binomial standard
    /// error is below 0.01). Without tastes the log is byte for byte the one of the old generator:
    /// `Tastes()` draws exactly as before (the golden digest test holds the DAG's bytes too).
    @Test func tasteGroupsViewTheirCategories() throws {
        var c = ShopGenerator.Config()
        c.customers = 400
        c.seed = 5
        #expect(CSV.encode(try ShopGenerator(c, tastes: .init()).generate().0) == CSV.encode(try ShopGenerator(c).generate().0))
        let tastes = ShopGenerator.Tastes(groups: 4, strength: 0.8, skew: 0.6)
        let g = try ShopGenerator(c, tastes: tastes)
        let (log, _) = g.generate()
        let truth = try #require(g.tastesTruth)
        #expect(truth.groups.map(\.categories) == [["electronics.smartphone", "apparel.shoes"], ["electronics.audio.headphone", "furniture.living_room.sofa"],
                                                   ["appliances.kitchen.kettle", "kids.toys"], ["computers.notebook", "sport.bicycle"]])
        #expect(truth.groups.map(\.customers).reduce(0, +) == 400)
        let users = try log.texts("user_id"), types = try log.texts("event_type"), categories = try log.texts("category_code"), products = try log.texts("product_id")
        var weightIn = [Double](repeating: 0, count: 4), total = 0.0
        var seen = Set<String>()
        for (p, cat) in zip(products, categories) where seen.insert(p).inserted {
            let w = 1 / pow(Double(Int(p.dropFirst())! + 1), 0.6)
            total += w
            weightIn[ShopGenerator.categories.firstIndex(of: cat)! % 4] += w
        }
        var inGroup = [Int](repeating: 0, count: 4), views = [Int](repeating: 0, count: 4)
        for r in 0..<log.rowCount where types[r] == "view" {
            let group = g.customerGroup[Int(users[r].dropFirst())!]
            views[group] += 1
            if ShopGenerator.categories.firstIndex(of: categories[r])! % 4 == group { inGroup[group] += 1 }
        }
        for group in 0..<4 {
            // q from the products the log shows (every product with weight is viewed at these sizes).
            let expected = 0.8 + 0.2 * weightIn[group] / total
            #expect(abs(Double(inGroup[group]) / Double(views[group]) - expected) < 0.03, "group \(group): \(inGroup[group]) of \(views[group]), expected \(expected)")
        }
        #expect(throws: AnalyticsError.self) { try ShopGenerator(c, tastes: .init(groups: 9)) }
        #expect(throws: AnalyticsError.self) { try ShopGenerator(c, tastes: .init(groups: 2, strength: 1.5)) }
    }

    @Test func badConfigIsAnError() {
        var c = ShopGenerator.Config()
        c.end = "2019-01-01"
        #expect(throws: AnalyticsError.self) { try ShopGenerator(c) }
        c = ShopGenerator.Config()
        c.coefficients = [1, 2]
        #expect(throws: AnalyticsError.self) { try ShopGenerator(c) }
    }
}

@Suite struct SessionFeaturesTests {
    func events(_ rows: [(String, String, String, Double, Double, String)]) -> Table {
        Table([("user", .text(rows.map(\.0))), ("session", .text(rows.map(\.1))), ("event_type", .text(rows.map(\.2))),
               ("time", .number(rows.map(\.3))), ("price", .number(rows.map(\.4))), ("product", .text(rows.map(\.5))),
               ("category", .text(rows.map { $0.5 == "p1" ? "c1" : "c2" })), ("brand", .text(rows.map { _ in "" }))])
    }

    @Test func handComputed() throws {
        let evening = 19.0 * 3600
        let t = try SessionFeatures.compute(events([
            ("u1", "s1", "view", evening, 10, "p1"), ("u1", "s1", "view", evening + 10, 30, "p2"), ("u1", "s1", "cart", evening + 20, 30, "p2"),
            ("u1", "s1", "purchase", evening + 30, 30, "p2"),
            ("u2", "s0", "view", 3600, 8, "p1"),
        ]))
        #expect(try t.texts("session") == ["s0", "s1"])
        #expect(try t.numbers("views") == [1, 2] && t.numbers("carts") == [0, 1] && t.numbers("label") == [0, 1])
        #expect(try t.numbers("evening") == [0, 1] && t.numbers("hour") == [1, 19] && t.numbers("duration") == [0, 20])
        #expect(try abs(t.numbers("log_mean_price")[1] - log(20)) < 1e-12)
        #expect(try t.numbers("distinct_categories") == [1, 2])
    }

    /// Hand-computed one-hot columns and price statistics. Sessions: s1 views electronics twice
    /// (acme at 10, globex at 30) and carts globex, then buys; s2 views an unpriced kids item with no
    /// brand; s3 buys first (nothing before it); s4 views kids twice, globex at 5 and acme at 7.
    @Test func oneHotAndPriceStatistics() throws {
        let rows: [(String, String, String, Double, Double, String, String)] = [
            ("s1", "view", "electronics.smartphone", 1, 10, "acme", "p1"), ("s1", "view", "electronics.audio", 2, 30, "globex", "p2"),
            ("s1", "cart", "electronics.audio", 3, 30, "globex", "p2"), ("s1", "purchase", "electronics.audio", 4, 30, "globex", "p2"),
            ("s2", "view", "kids.toys", 1, .nan, "", "p3"),
            ("s3", "purchase", "kids.toys", 1, 9, "hooli", "p3"), ("s3", "view", "kids.toys", 2, 9, "hooli", "p3"),
            ("s4", "view", "kids.toys", 1, 5, "globex", "p4"), ("s4", "view", "kids.toys", 2, 7, "acme", "p5"),
        ]
        let events = Table([("user", .text(rows.map { "u" + $0.0 })), ("session", .text(rows.map(\.0))), ("event_type", .text(rows.map(\.1))),
                            ("time", .number(rows.map(\.3))), ("price", .number(rows.map(\.4))), ("product", .text(rows.map(\.6))),
                            ("category", .text(rows.map(\.2))), ("brand", .text(rows.map(\.5)))])
        // Modes: category electronics, kids, -, kids; brand globex (2 of 3), -, -, acme (1-1 tie: byte order).
        // Top 1 level: category kids (2 sessions); brand acme vs globex 1-1: acme.
        let t = try SessionFeatures.compute(events, config: .init(categorical: ["category", "brand"], topLevels: 1, topLevelOnly: ["category"]))
        #expect(t.names.suffix(5) == ["category=kids", "category=other", "brand=acme", "brand=other", "label"])
        #expect(try t.numbers("category=kids") == [0, 1, 0, 1] && t.numbers("category=other") == [1, 0, 0, 0])
        #expect(try t.numbers("brand=acme") == [0, 0, 0, 1] && t.numbers("brand=other") == [1, 0, 0, 0])
        #expect(try t.numbers("min_price") == [10, 0, 0, 5] && t.numbers("max_price") == [30, 0, 0, 7] && t.numbers("mean_price") == [20, 0, 0, 6])
        #expect(try t.numbers("label") == [1, 0, 1, 0] && t.numbers("views") == [2, 1, 0, 2])
        // Given levels, in their order; an unseen level is a column of zeros; "other" is the catch-all.
        let g = try SessionFeatures.compute(events, config: .init(categorical: ["brand"], levels: ["brand": ["globex", "zzz", "other", "globex"]]))
        #expect(g.names.suffix(4) == ["brand=globex", "brand=zzz", "brand=other", "label"])
        #expect(try g.numbers("brand=globex") == [1, 0, 0, 0] && g.numbers("brand=zzz") == [0, 0, 0, 0] && g.numbers("brand=other") == [0, 0, 0, 1])
        // Invariant: per categorical column, a session is in exactly one column, or none when it has no value.
        let sums = (0..<t.rowCount).map { r in (try? t.numbers("brand=acme")[r] + t.numbers("brand=other")[r]) ?? -1 }
        #expect(sums == [1, 0, 0, 1])
        #expect(throws: AnalyticsError.missingColumn(name: "device", available: events.names)) {
            try SessionFeatures.compute(events, config: .init(categorical: ["device"]))
        }
    }

    @Test func eventsAfterThePurchaseDoNotLeak() throws {
        let base: [(String, String, String, Double, Double, String)] = [("u", "s", "view", 0, 5, "p1"), ("u", "s", "purchase", 10, 5, "p1")]
        let a = try SessionFeatures.compute(events(base))
        let b = try SessionFeatures.compute(events(base + [("u", "s", "view", 20, 500, "p2"), ("u", "s", "cart", 30, 500, "p2")]))
        #expect(a == b)
    }
}

@Suite struct SessionModelRecoveryTests {
    // Sessions are drawn case-control (purchase sessions given conversion, browsing sessions given
    // none), so a logistic fit on session features recovers the slopes exactly and the intercept
    // shifted by the known log-ratio in truth.sessionInterceptInData (Prentice & Pyke 1979).
    // Each estimate must be within 4 standard errors (about 6e-5 chance of failing per estimate).
    @Test func logisticRecoversTheConversionModel() throws {
        var c = ShopGenerator.Config()
        c.customers = 1500
        c.seed = 21
        let (log, truth) = try ShopGenerator(c).generate()
        let events = try EventIngest.run(bytes: CSV.encode(log), file: "events.csv", config: .init(
            user: "user_id", session: "user_session", eventType: "event_type", time: "event_time", price: "price",
            product: "product_id", category: "category_code", brand: "brand", timeFormat: .datetime)).0
        let sessions = try SessionFeatures.compute(events)
        let names = ShopGenerator.covariateNames
        let m = try LogisticRegression.fit(x: try sessions.matrix(names), y: try sessions.numbers("label"), featureNames: names,
                                           config: .init(l2: 0))
        for (j, name) in names.enumerated() {
            let truthValue = truth.config.coefficients[j + 1]
            #expect(abs(m.coefficients[j] - truthValue) < 4 * m.coefficientStandardErrors[j], "\(name): \(m.coefficients[j]) vs \(truthValue) (se \(m.coefficientStandardErrors[j]))")
        }
        #expect(abs(m.intercept - truth.sessionInterceptInData) < 4 * m.interceptStandardError)
    }
}

/// The streamed log (`write(to:)`, what the `generate` kind writes) against the table path
/// (`generate()` then `CSV.encode`): byte for byte equal, with equal truth, over random configs.
@Suite struct ShopGeneratorStreamingTests {
    @Test(arguments: 0..<12) func streamedLogIsTheTablesBytes(_ trial: Int) throws {
        var rng = SeededRandom(seed: 77, stream: UInt64(trial))
        var c = ShopGenerator.Config()
        c.seed = UInt64(rng.int(below: 1_000_000))
        c.customers = 1 + rng.int(below: 120)
        c.products = 1 + rng.int(below: 400)
        c.browseRate = rng.uniform() * 2
        c.end = ["2019-10-02", "2020-01-31", "2020-09-30"][rng.int(below: 3)]
        let tastes = trial % 3 == 0 ? ShopGenerator.Tastes() : ShopGenerator.Tastes(groups: rng.int(below: 3), strength: rng.uniform(), skew: rng.uniform() * 1.5)
        guard let g = try? ShopGenerator(c, tastes: tastes) else { return }   // a group without products: not this test's case
        let (table, truth) = g.generate()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("loom-shop-\(getpid())-\(trial).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let streamed = try g.write(to: path)
        #expect(streamed == truth)
        let bytes = try #require(FileManager.default.contents(atPath: path))
        #expect([UInt8](bytes) == CSV.encode(table))
    }

    /// The writer's buffer flushes mid-file: rows across a flush come out whole and in order.
    @Test func writerAcrossFlushes() throws {
        let n = CSVRowWriter.bufferSize / 20 + 1000
        let texts = (0..<n).map { i in i % 7 == 0 ? "a,\"\(i)\"" : " x\(i)" }, numbers = (0..<n).map { Double($0) / 3 }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("loom-writer-\(getpid()).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let w = try CSVRowWriter(path: path, header: ["t", "x y"])
        for i in 0..<n { w.text(texts[i]); w.number(numbers[i]); w.endRow() }
        try w.close()
        #expect(w.rows == n)
        let bytes = try #require(FileManager.default.contents(atPath: path))
        #expect([UInt8](bytes) == CSV.encode(Table([("t", .text(texts)), ("x y", .number(numbers))])))
    }
}

/// `CSVRowWriter.write` (what every kind's tables go through) against `CSV.encode`, over random
/// tables with texts that need quotes, numbers of every format and selected rows.
@Suite struct CSVRowWriterTableTests {
    @Test(arguments: 0..<40) func writeIsEncode(_ trial: Int) throws {
        var rng = SeededRandom(seed: 5, stream: UInt64(trial))
        let n = rng.int(below: 30), texts = ["", "a", "a,b", "q\"q", " lead", "trail ", "line\nbreak", "cr\r", "é"]
        let numbers: [Double] = [0, -0.0, 1, -3, 0.1, 1e-05, 12345.678, .nan, .infinity, -.infinity, 9_007_199_254_740_993, 1e300]
        var t = Table()
        for j in 0..<(1 + rng.int(below: 5)) {
            t.append("c\(j)" + (j == 2 ? ",x" : ""), rng.bernoulli(0.5) ? .text((0..<n).map { _ in texts[rng.int(below: texts.count)] })
                                                              : .number((0..<n).map { _ in numbers[rng.int(below: numbers.count)] }))
        }
        let rows = (0..<rng.int(below: 40)).map { _ in rng.int(below: max(1, n)) }.filter { $0 < n }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("loom-table-\(getpid())-\(trial).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try CSVRowWriter.write(t, to: path)
        #expect([UInt8](try #require(FileManager.default.contents(atPath: path))) == CSV.encode(t))
        try CSVRowWriter.write(t, rows: rows, to: path)
        #expect([UInt8](try #require(FileManager.default.contents(atPath: path))) == CSV.encode(t.selectingRows(rows)))
    }
}

@Suite struct FileBytesTests {
    /// The same bytes as FileManager's, for sizes around its and our buffers; nil for a missing file or a directory.
    @Test(arguments: [0, 1, 4095, 65_536, 65_537, 1_000_003]) func readsWhatFoundationReads(_ size: Int) throws {
        var rng = SeededRandom(seed: 3, stream: UInt64(size))
        let data = (0..<size).map { _ in UInt8(rng.int(below: 256)) }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("loom-bytes-\(getpid())-\(size)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(data).write(to: URL(fileURLWithPath: path))
        #expect(FileBytes.read(path) == [UInt8](try #require(FileManager.default.contents(atPath: path))))
        #expect(FileBytes.read(path + ".missing") == nil)
        #expect(FileBytes.read(FileManager.default.temporaryDirectory.path) == nil)
    }
}
