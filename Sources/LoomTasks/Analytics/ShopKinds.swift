import Foundation
import LoomAnalytics
import LoomCore

/// `generate`: a synthetic shop's event log (REES46 schema) with its ground truth.
public enum Generate: TaskKind {
    public struct Params: Codable, Equatable, Sendable {
        public var config: ShopGenerator.Config
        public init(from d: Decoder) throws {
            let c = try d.container(keyedBy: AnyKey.self)
            var g = ShopGenerator.Config()
            func double(_ k: String) throws -> Double? { try c.decodeIfPresent(Double.self, forKey: AnyKey(k)) }
            if let v = try c.decodeIfPresent(Int.self, forKey: AnyKey("seed")) { g.seed = UInt64(bitPattern: Int64(v)) }
            if let v = try c.decodeIfPresent(Int.self, forKey: AnyKey("customers")) { g.customers = v }
            if let v = try c.decodeIfPresent(Int.self, forKey: AnyKey("products")) { g.products = v }
            if let v = try c.decodeIfPresent(String.self, forKey: AnyKey("start")) { g.start = v }
            if let v = try c.decodeIfPresent(String.self, forKey: AnyKey("end")) { g.end = v }
            if let v = try double("acquisition_weeks") { g.acquisitionWeeks = v }
            if let v = try double("browse_rate") { g.browseRate = v }
            for (k, path) in [("r", \ShopGenerator.Config.r), ("alpha", \.alpha), ("a", \.a), ("b", \.b), ("p", \.p), ("q", \.q), ("v", \.v)] {
                if let v = try double(k) { g[keyPath: path] = v }
            }
            if let v = try c.decodeIfPresent([Double].self, forKey: AnyKey("coefficients")) { g.coefficients = v }
            config = g
        }
        public func encode(to e: Encoder) throws { try config.encode(to: e) }
    }

    public static let name = "generate"
    public static let version = 1
    public static let summary = "A synthetic shop: events.csv (REES46 schema) whose purchases follow BG/NBD + Gamma-Gamma and whose sessions convert by a known logistic model; truth.json holds every generating parameter."
    public static let params = [
        ParamDoc("seed", "int", default: "1", "random seed"),
        ParamDoc("customers", "int", default: "2000", "customers to simulate"),
        ParamDoc("products", "int", default: "300", "catalogue size"),
        ParamDoc("start", "date", default: "2019-10-01", "first day"),
        ParamDoc("end", "date", default: "2020-09-30", "last day"),
        ParamDoc("acquisition_weeks", "float", default: "12", "customers arrive uniformly over these first weeks"),
        ParamDoc("r", "float", default: "0.6", "BG/NBD: purchase rate lambda ~ Gamma(r, alpha) per week"),
        ParamDoc("alpha", "float", default: "8", "BG/NBD rate scale"),
        ParamDoc("a", "float", default: "0.8", "BG/NBD: dropout p ~ Beta(a, b)"),
        ParamDoc("b", "float", default: "2.5", "BG/NBD dropout"),
        ParamDoc("p", "float", default: "6", "Gamma-Gamma spend shape"),
        ParamDoc("q", "float", default: "4", "Gamma-Gamma: nu ~ Gamma(q, v)"),
        ParamDoc("v", "float", default: "20", "Gamma-Gamma scale"),
        ParamDoc("browse_rate", "float", default: "0.3", "non-purchasing sessions per week while alive"),
        ParamDoc("coefficients", "list", default: "[-2, 0.15, 0.8, -0.6, 0.4, -0.3]", "session conversion: intercept, views, carts, removes, evening, log mean viewed price"),
    ]

    public static func validate(_ p: Params) -> [ParamProblem] {
        do { _ = try ShopGenerator(p.config); return [] } catch let e as AnalyticsError {
            if case let .invalidParameter(name, _, _) = e { return [ParamProblem(param: name, e.description)] }
            return [ParamProblem(param: nil, e.description)]
        } catch { return [ParamProblem(param: nil, "\(error)")] }
    }

    public static func run(_ p: Params, context: TaskContext) throws {
        let (log, truth) = try ShopGenerator(p.config).generate()
        try ArtifactFiles.write(log, context, "events.csv")
        try ArtifactFiles.writeJSON(truth, context, "truth.json")
        try ArtifactFiles.writeMetrics(["events": Double(truth.events), "purchase_sessions": Double(truth.purchaseSessions),
                                        "browse_sessions": Double(truth.browseSessions), "customers_alive_at_end": Double(truth.customersAliveAtEnd)], context)
    }
}

/// `ingest_events`: a user's event log -> the canonical event table in `events.csv`.
public enum IngestEvents: TaskKind {
    public struct Params: Codable, Equatable, Sendable {
        public var file: String
        public var input: String?
        public var user: String, session: String, eventType: String, time: String
        public var price: String?, product: String?, category: String?, brand: String?
        public var timeFormat: TimeFormat
        public var onBadRow: String
        public var extra: [String]
        enum CodingKeys: String, CodingKey {
            case file, input, user, session, eventType = "event_type", time, price, product, category, brand, timeFormat = "time_format", onBadRow = "on_bad_row", extra
        }
        public init(from d: Decoder) throws {
            let c = try d.container(keyedBy: CodingKeys.self)
            file = try c.decode(String.self, forKey: .file)
            input = try c.decodeIfPresent(String.self, forKey: .input)
            user = try c.decode(String.self, forKey: .user)
            session = try c.decode(String.self, forKey: .session)
            eventType = try c.decode(String.self, forKey: .eventType)
            time = try c.decode(String.self, forKey: .time)
            price = try c.decodeIfPresent(String.self, forKey: .price)
            product = try c.decodeIfPresent(String.self, forKey: .product)
            category = try c.decodeIfPresent(String.self, forKey: .category)
            brand = try c.decodeIfPresent(String.self, forKey: .brand)
            timeFormat = try ArtifactFiles.timeFormat(c, .timeFormat)
            onBadRow = try c.decodeIfPresent(String.self, forKey: .onBadRow) ?? "fail"
            extra = try c.decodeIfPresent([String].self, forKey: .extra) ?? []
        }
    }

    public static let name = "ingest_events"
    public static let version = 2   // 2: invalid UTF-8 is a bad row (was U+FFFD), malformed records are skippable
    public static let summary = "Reads an event log CSV into events.csv: user, session, event_type, time (epoch seconds), price, product, category, brand, and any extra columns as text."
    public static let params = [
        ParamDoc("file", "string", "the CSV: a project path (declare it in 'files') or a file of INPUT's artifact"),
        ParamDoc("input", "string", default: "none", "a needed task whose artifact holds FILE"),
        ParamDoc("user", "string", "column with the user id"), ParamDoc("session", "string", "column with the session id"),
        ParamDoc("event_type", "string", "column with the event type (view, cart, remove_from_cart, purchase)"),
        ParamDoc("time", "string", "column with the event time"),
        ParamDoc("price", "string", default: "none", "column with the price"), ParamDoc("product", "string", default: "none", "column with the product id"),
        ParamDoc("category", "string", default: "none", "column with the category"), ParamDoc("brand", "string", default: "none", "column with the brand"),
        ParamDoc("time_format", "string", default: "auto", "yyyymmdd, yyyy-mm-dd, datetime (2019-10-01 00:00:00 UTC), epoch, or auto"),
        ParamDoc("on_bad_row", "string", default: "fail", "fail: stop at the first bad row (wrong number of fields, unterminated quote, invalid UTF-8, bad value), naming file:line:column; skip: drop it and count it by reason in the metrics"),
        ParamDoc("extra", "list", default: "[]", "more columns copied as text under their own names (e.g. [device, traffic_source]), for session_features' categorical"),
    ]

    public static func validate(_ p: Params) -> [ParamProblem] {
        var out = ArtifactFiles.onBadRowProblems(p.onBadRow)
        for name in p.extra where EventIngest.canonicalColumns.contains(name) {
            out.append(ParamProblem(param: "extra", "param 'extra' names '\(name)', a column events.csv already has (\(EventIngest.canonicalColumns.joined(separator: ", "))); map it with its own param"))
        }
        return out
    }

    public static func run(_ p: Params, context: TaskContext) throws {
        let path = try ArtifactFiles.path(context, input: p.input, file: p.file)
        guard let data = FileManager.default.contents(atPath: path) else { throw KindError("cannot read \(path)") }
        let config = EventIngest.Config(user: p.user, session: p.session, eventType: p.eventType, time: p.time, price: p.price, product: p.product,
                                        category: p.category, brand: p.brand, timeFormat: p.timeFormat, skipBadRows: p.onBadRow == "skip", extra: p.extra)
        let (table, summary) = try EventIngest.run(bytes: [UInt8](data), file: p.input.map { "\($0)/\(p.file)" } ?? p.file, config: config)
        try ArtifactFiles.write(table, context, "events.csv")
        if !summary.skipped.isEmpty { context.log("skipped rows at lines \(summary.firstSkippedLines.map(String.init).joined(separator: ", "))...") }
        var metrics = ArtifactFiles.ingestMetrics(summary)
        let types = try table.texts("event_type")
        for t in Set(types).sorted() { metrics["events." + t] = Double(types.filter { $0 == t }.count) }
        try ArtifactFiles.writeMetrics(metrics, context)
    }
}

/// `session_features`: events -> one row per session (features before the first purchase, label).
public enum SessionFeaturesKind: TaskKind {
    public struct Params: Codable, Equatable, Sendable {
        public var input: String?
        public var file: String
        public var config: SessionFeatures.Config
        public init(from d: Decoder) throws {
            let c = try d.container(keyedBy: AnyKey.self)
            input = try c.decodeIfPresent(String.self, forKey: AnyKey("input"))
            file = try c.decodeIfPresent(String.self, forKey: AnyKey("file")) ?? "events.csv"
            config = SessionFeatures.Config(
                categorical: try c.decodeIfPresent([String].self, forKey: AnyKey("categorical")) ?? [],
                topLevels: try c.decodeIfPresent(Int.self, forKey: AnyKey("top_levels")) ?? 10,
                levels: try c.decodeIfPresent([String: [String]].self, forKey: AnyKey("levels")) ?? [:],
                topLevelOnly: try c.decodeIfPresent([String].self, forKey: AnyKey("top_level_only")) ?? [])
        }
        public func encode(to e: Encoder) throws {}
    }

    public static let name = "session_features"
    public static let version = 2
    public static let summary = "Per session, from events before its first purchase: views, carts, removes, evening, log mean viewed price, hour, duration, distinct products and categories, min/max/mean viewed price, one-hot categorical columns; label = contains a purchase -> sessions.csv."
    public static let params = [
        ParamDoc("input", "string", default: "the only need", "the needed task with the events"),
        ParamDoc("file", "string", default: "events.csv", "the canonical event table in INPUT"),
        ParamDoc("categorical", "list", default: "[]", "event columns to one-hot encode (e.g. [category, brand]): a session's most frequent value -> columns NAME=LEVEL and NAME=other"),
        ParamDoc("top_levels", "int", default: "10", "levels per categorical column when not given: the values most sessions have"),
        ParamDoc("levels", "map", default: "{}", "given levels per column, e.g. {brand: [acme, globex]}: use the training data's levels when scoring new data with predict"),
        ParamDoc("top_level_only", "list", default: "[]", "categorical columns cut at the first '.' (category_code electronics.smartphone -> electronics)"),
    ]

    public static func validate(_ p: Params) -> [ParamProblem] {
        var out: [ParamProblem] = []
        if p.config.topLevels < 1 { out.append(ParamProblem(param: "top_levels", "param 'top_levels' must be at least 1, got \(p.config.topLevels)")) }
        for k in p.config.levels.keys.sorted() where !p.config.categorical.contains(k) {
            out.append(ParamProblem(param: "levels", "param 'levels' names '\(k)', which is not in 'categorical' (\(p.config.categorical.joined(separator: ", ")))"))
        }
        for k in p.config.topLevelOnly where !p.config.categorical.contains(k) {
            out.append(ParamProblem(param: "top_level_only", "param 'top_level_only' names '\(k)', which is not in 'categorical' (\(p.config.categorical.joined(separator: ", ")))"))
        }
        // Columns NAME=LEVEL: a repeated name, or one with '=' (a=b with level c and a with level
        // b=c), would give two columns of one name.
        out += ArtifactFiles.columnNameProblems(p.config.categorical, param: "categorical", file: "sessions.csv", written: [])
        for name in p.config.categorical where name.contains("=") {
            out.append(ParamProblem(param: "categorical", "param 'categorical' names '\(name)': a name with '=' would make one-hot column names ambiguous"))
        }
        return out
    }

    public static func run(_ p: Params, context: TaskContext) throws {
        let input = try ArtifactFiles.soleInput(context, p.input, kind: name)
        var types: [String: CSV.ColumnType] = ["user": .text, "session": .text, "event_type": .text, "time": .number, "price": .number,
                                               "product": .text, "category": .text, "brand": .text]
        for c in p.config.categorical { types[c] = .text }
        let events = try ArtifactFiles.table(context, input: input, file: p.file, types: types)
        let t = try SessionFeatures.compute(events, config: p.config)
        try ArtifactFiles.write(t, context, "sessions.csv")
        let labels = try t.numbers("label")
        try ArtifactFiles.writeMetrics(["sessions": Double(t.rowCount), "conversion_rate": labels.reduce(0, +) / Double(max(1, labels.count)),
                                        "columns": Double(t.columnCount)], context)
    }
}

/// A coding key for params whose names are not Swift identifiers.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// `clean`: the canonical event table without duplicates and impossible values -> events.csv,
/// with rows in, rows out and rows dropped per reason in the metrics.
public enum CleanKind: TaskKind {
    public struct Params: Codable, Equatable, Sendable {
        public var input: String?
        public var file: String
        public var start: String?
        public var end: String?
        public init(from d: Decoder) throws {
            let c = try d.container(keyedBy: AnyKey.self)
            input = try c.decodeIfPresent(String.self, forKey: AnyKey("input"))
            file = try c.decodeIfPresent(String.self, forKey: AnyKey("file")) ?? "events.csv"
            start = try c.decodeIfPresent(String.self, forKey: AnyKey("start"))
            end = try c.decodeIfPresent(String.self, forKey: AnyKey("end"))
        }
        public func encode(to e: Encoder) throws {}
    }

    public static let name = "clean"
    public static let version = 1
    public static let summary = "Drops duplicate events, events without ids, negative prices, purchases without a price and events outside [start, end] -> events.csv; counts per reason in the metrics."
    public static let params = [
        ParamDoc("input", "string", default: "the only need", "the needed task with the canonical events"),
        ParamDoc("file", "string", default: "events.csv", "the event table in INPUT"),
        ParamDoc("start", "date", default: "none", "drop events before this day (yyyy-mm-dd)"),
        ParamDoc("end", "date", default: "none", "drop events after this day (inclusive last day, yyyy-mm-dd)"),
    ]

    public static func validate(_ p: Params) -> [ParamProblem] {
        var out: [ParamProblem] = []
        for (name, value) in [("start", p.start), ("end", p.end)] {
            if let value, CivilDate.parse(value) == nil {
                out.append(ParamProblem(param: name, "param '\(name)' must be a date like 2019-10-01, got '\(value)'"))
            }
        }
        return out
    }

    public static func run(_ p: Params, context: TaskContext) throws {
        let input = try ArtifactFiles.soleInput(context, p.input, kind: name)
        let events = try ArtifactFiles.table(context, input: input, file: p.file,
                                             types: ["user": .text, "session": .text, "event_type": .text, "time": .number, "price": .number,
                                                     "product": .text, "category": .text, "brand": .text],
                                             otherColumns: .text)   // ingest's extra columns pass through as written
        let start = try p.start.map { Double(try ArtifactFiles.day($0, param: "start")) * 86400 }
        let end = try p.end.map { Double(try ArtifactFiles.day($0, param: "end") + 1) * 86400 }
        let (out, s) = try Clean.events(events, start: start, end: end)
        try ArtifactFiles.write(out, context, "events.csv")
        var metrics: [String: Double] = ["rows_in": Double(s.rowsIn), "rows_out": Double(s.rowsOut)]
        for r in Clean.reasons { metrics["dropped." + r.replacingOccurrences(of: " ", with: "_")] = Double(s.dropped[r] ?? 0) }
        try ArtifactFiles.writeMetrics(metrics, context)
    }
}
