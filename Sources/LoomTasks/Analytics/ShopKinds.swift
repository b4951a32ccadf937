import Foundation
import LoomAnalytics
import LoomCore

/// `generate`: a synthetic shop's event log (REES46 schema) with its ground truth.
public enum Generate: TaskKind {
    public struct Params: Decodable, Sendable {
        public var config: ShopGenerator.Config
        public init(from d: Decoder) throws {
            let c = try d.container(keyedBy: AnyKey.self)
            func value<T: Decodable>(_ k: String) throws -> T { try c.decode(T.self, forKey: AnyKey(k)) }
            var g = ShopGenerator.Config()
            g.seed = UInt64(bitPattern: Int64(try value("seed") as Int))
            g.customers = try value("customers")
            g.products = try value("products")
            g.start = try value("start")
            g.end = try value("end")
            g.acquisitionWeeks = try value("acquisition_weeks")
            g.browseRate = try value("browse_rate")
            for (k, path) in [("r", \ShopGenerator.Config.r), ("alpha", \.alpha), ("a", \.a), ("b", \.b), ("p", \.p), ("q", \.q), ("v", \.v)] {
                g[keyPath: path] = try value(k)
            }
            g.coefficients = try value("coefficients")
            config = g
            let users: Int = try value("experiment_users")
            if users > 0 {
                var e = ExperimentGenerator.Config()
                e.seed = g.seed
                e.users = users
                e.variants = try value("experiment_variants")
                e.split = try value("experiment_split")
                e.assignedSplit = try c.decodeIfPresent([Double].self, forKey: AnyKey("experiment_assigned_split"))
                e.purchaseRate = try value("experiment_purchase_rate")
                e.orderValue = try value("experiment_order_value")
                e.rateShape = try value("experiment_rate_shape")
                e.prePeriods = try value("experiment_pre_periods")
                experiment = e
            }
        }
        /// Nil when `experiment_users` is 0.
        public var experiment: ExperimentGenerator.Config?
    }

    public static let name = "generate"
    public static let version = 1
    public static let summary = "A synthetic shop: events.csv (REES46 schema) whose purchases follow BG/NBD + Gamma-Gamma and whose sessions convert by a known logistic model; truth.json holds every generating parameter."
    /// The defaults are `ShopGenerator.Config`'s, so they are declared once, in the generator.
    public static let params: [ParamSpec] = {
        let g = ShopGenerator.Config()
        func f(_ x: Double) -> ParamSpec.Default { .value(.float(x)) }
        return [
            ParamSpec("seed", .int, .value(.int(Int(Int64(bitPattern: g.seed)))), "random seed"),
            ParamSpec("customers", .int, .value(.int(g.customers)), "customers to simulate"),
            ParamSpec("products", .int, .value(.int(g.products)), "catalogue size"),
            ParamSpec.date("start", .value(.string(g.start)), "first day"),
            ParamSpec.date("end", .value(.string(g.end)), "last day"),
            ParamSpec("acquisition_weeks", .float, f(g.acquisitionWeeks), "customers arrive uniformly over these first weeks"),
            ParamSpec("r", .float, f(g.r), "BG/NBD: purchase rate lambda ~ Gamma(r, alpha) per week"),
            ParamSpec("alpha", .float, f(g.alpha), "BG/NBD rate scale"),
            ParamSpec("a", .float, f(g.a), "BG/NBD: dropout p ~ Beta(a, b)"),
            ParamSpec("b", .float, f(g.b), "BG/NBD dropout"),
            ParamSpec("p", .float, f(g.p), "Gamma-Gamma spend shape"),
            ParamSpec("q", .float, f(g.q), "Gamma-Gamma: nu ~ Gamma(q, v)"),
            ParamSpec("v", .float, f(g.v), "Gamma-Gamma scale"),
            ParamSpec("browse_rate", .float, f(g.browseRate), "non-purchasing sessions per week while alive"),
            ParamSpec("coefficients", .floats, .value(.list(g.coefficients.map(ParamValue.float))),
                      "session conversion: intercept, views, carts, removes, evening, log mean viewed price"),
        ] + experimentParams
    }()

    /// The experiment's params (see `ExperimentGenerator`), added after the kind's first release:
    /// keyed only when set, so that tasks without an experiment keep their keys and artifacts.
    static let experimentParams: [ParamSpec] = {
        let e = ExperimentGenerator.Config()
        func floats(_ x: [Double]) -> ParamSpec.Default { .value(.list(x.map(ParamValue.float))) }
        return [
            ParamSpec("experiment_users", .int, 0, "users of a randomised experiment written to experiment.csv (one row each: user, variant, converted, purchases, spend, pre_purchases, pre_spend), with its truth under 'experiment' in truth.json; 0: none", bounds: .atLeast(0), keyedOnlyWhenSet: true),
            ParamSpec("experiment_variants", .strings, .value(.list(e.variants.map(ParamValue.string))), "the variants, control first", keyedOnlyWhenSet: true),
            ParamSpec("experiment_split", .floats, floats(e.split), "designed share of users per variant", keyedOnlyWhenSet: true),
            ParamSpec("experiment_assigned_split", .floats, .unset("the designed split"), "the shares users are really assigned with: a broken split, for the sample-ratio check to find", keyedOnlyWhenSet: true),
            ParamSpec("experiment_purchase_rate", .floats, floats(e.purchaseRate), "mean purchases per user during the experiment, per variant (the effect on conversion and spend)", keyedOnlyWhenSet: true),
            ParamSpec("experiment_order_value", .floats, floats(e.orderValue), "mean order value per variant", keyedOnlyWhenSet: true),
            ParamSpec("experiment_rate_shape", .float, .value(.float(e.rateShape)), "Gamma shape of users' purchase rates (smaller: users differ more, and CUPED gains more)", bounds: .above(0), keyedOnlyWhenSet: true),
            ParamSpec("experiment_pre_periods", .float, .value(.float(e.prePeriods)), "length of the pre-period (pre_purchases, pre_spend) in experiment periods", bounds: .above(0), keyedOnlyWhenSet: true),
        ]
    }()

    public static func validate(_ p: Params) -> [ParamProblem] {
        do {
            _ = try ShopGenerator(p.config)
            if let e = p.experiment { _ = try ExperimentGenerator(e) }
            return []
        } catch let e as AnalyticsError {
            if case let .invalidParameter(name, _, _) = e { return [ParamProblem(param: name, e.description)] }
            return [ParamProblem(param: nil, e.description)]
        } catch { return [ParamProblem(param: nil, "\(error)")] }
    }

    public static func run(_ p: Params, context: TaskContext) throws {
        let (log, truth) = try ShopGenerator(p.config).generate()
        try ArtifactFiles.write(log, context, "events.csv")
        var metrics = ["events": Double(truth.events), "purchase_sessions": Double(truth.purchaseSessions),
                       "browse_sessions": Double(truth.browseSessions), "customers_alive_at_end": Double(truth.customersAliveAtEnd)]
        var experiment: ExperimentGenerator.Truth?
        if let e = p.experiment {
            let (table, t) = try ExperimentGenerator(e).generate()
            try ArtifactFiles.write(table, context, "experiment.csv")
            experiment = t
            for v in t.variants { metrics["experiment.users." + v.name] = Double(v.users) }
        }
        try ArtifactFiles.writeJSON(TruthFile(shop: truth, experiment: experiment), context, "truth.json")
        try ArtifactFiles.writeMetrics(metrics, context)
    }

    /// truth.json: the shop's truth (`ShopGenerator.Truth`) and, with an experiment, its truth
    /// under `experiment` (`ExperimentGenerator.Truth`); without one the bytes are the shop's alone.
    struct TruthFile: Encodable {
        var shop: ShopGenerator.Truth
        var experiment: ExperimentGenerator.Truth?
        func encode(to encoder: Encoder) throws {
            try shop.encode(to: encoder)
            if let experiment {
                var c = encoder.container(keyedBy: AnyKey.self)
                try c.encode(experiment, forKey: AnyKey("experiment"))
            }
        }
    }
}

/// `ingest_events`: a user's event log -> the canonical event table in `events.csv`.
public enum IngestEvents: TaskKind {
    public struct Params: Decodable, Sendable {
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
    }

    public static let name = "ingest_events"
    public static let version = 2   // 2: invalid UTF-8 is a bad row (was U+FFFD), malformed records are skippable
    public static let summary = "Reads an event log CSV into events.csv: user, session, event_type, time (epoch seconds), price, product, category, brand, and any extra columns as text."
    public static let params = [
        ParamSpec.projectOrInputFile("the CSV"),
        ParamSpec.optionalInput,
        ParamSpec("user", .string, .required, "column with the user id"),
        ParamSpec("session", .string, .required, "column with the session id"),
        ParamSpec("event_type", .string, .required, "column with the event type (view, cart, remove_from_cart, purchase)"),
        ParamSpec("time", .string, .required, "column with the event time"),
        ParamSpec("price", .string, .unset("none"), "column with the price"),
        ParamSpec("product", .string, .unset("none"), "column with the product id"),
        ParamSpec("category", .string, .unset("none"), "column with the category"),
        ParamSpec("brand", .string, .unset("none"), "column with the brand"),
        ParamSpec.timeFormat,
        ParamSpec.onBadRow,
        ParamSpec("extra", .strings, .value(.list([])), "more columns copied as text under their own names (e.g. [device, traffic_source]), for session_features' categorical"),
    ]

    public static func validate(_ p: Params) -> [ParamProblem] {
        var out: [ParamProblem] = []
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
    public struct Params: Decodable, Sendable {
        public var input: String?
        public var file: String
        public var config: SessionFeatures.Config
        public init(from d: Decoder) throws {
            let c = try d.container(keyedBy: AnyKey.self)
            input = try c.decodeIfPresent(String.self, forKey: AnyKey("input"))
            file = try c.decode(String.self, forKey: AnyKey("file"))
            config = SessionFeatures.Config(
                categorical: try c.decode([String].self, forKey: AnyKey("categorical")),
                topLevels: try c.decode(Int.self, forKey: AnyKey("top_levels")),
                levels: try c.decode([String: [String]].self, forKey: AnyKey("levels")),
                topLevelOnly: try c.decode([String].self, forKey: AnyKey("top_level_only")))
        }
    }

    public static let name = "session_features"
    public static let version = 2
    public static let summary = "Per session, from events before its first purchase: views, carts, removes, evening, log mean viewed price, hour, duration, distinct products and categories, min/max/mean viewed price, one-hot categorical columns; label = contains a purchase -> sessions.csv."
    public static let params = [
        ParamSpec.soleInput("the needed task with the events"),
        ParamSpec("file", .string, "events.csv", "the canonical event table in INPUT"),
        ParamSpec("categorical", .strings, .value(.list([])), "event columns to one-hot encode (e.g. [category, brand]): a session's most frequent value -> columns NAME=LEVEL and NAME=other"),
        ParamSpec("top_levels", .int, 10, "levels per categorical column when not given: the values most sessions have", bounds: .atLeast(1)),
        ParamSpec("levels", .map, .value(.map([:])), "given levels per column, e.g. {brand: [acme, globex]}: use the training data's levels when scoring new data with predict"),
        ParamSpec("top_level_only", .strings, .value(.list([])), "categorical columns cut at the first '.' (category_code electronics.smartphone -> electronics)"),
    ]

    public static func validate(_ p: Params) -> [ParamProblem] {
        var out: [ParamProblem] = []
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
    public struct Params: Decodable, Sendable {
        public var input: String?
        public var file: String
        public var start: String?
        public var end: String?
    }

    public static let name = "clean"
    public static let version = 1
    public static let summary = "Drops duplicate events, events without ids, negative prices, purchases without a price and events outside [start, end] -> events.csv; counts per reason in the metrics."
    public static let params = [
        ParamSpec.soleInput("the needed task with the canonical events"),
        ParamSpec("file", .string, "events.csv", "the event table in INPUT"),
        ParamSpec.date("start", .unset("none"), "drop events before this day"),
        ParamSpec.date("end", .unset("none"), "drop events after this day (inclusive last day)"),
    ]

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
