import Foundation
import LoomAnalytics
import LoomCore

/// `generate`: a synthetic shop's event log (REES46 schema) with its ground truth.
///
/// Writes `events.csv` (the log), `truth.json` (every generating parameter and realised counts;
/// see `TruthFile`), with an experiment `experiment.csv` (`ExperimentGenerator.columns`), and with
/// taste groups `tastes.csv` (`user_id, group`: each customer's group, customers in order).
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
            tastes = ShopGenerator.Tastes(groups: try value("taste_groups"), strength: try value("taste_strength"), skew: try value("product_skew"))
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
        public var tastes = ShopGenerator.Tastes()
    }

    public static let name = "generate"
    public static let version = 1
    public static let summary = "A synthetic shop: events.csv (REES46 schema) whose purchases follow BG/NBD + Gamma-Gamma and whose sessions convert by a known logistic model (optionally: customer taste groups and Zipf product popularity, for recommenders); truth.json holds every generating parameter."
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
        ] + experimentParams + tasteParams
    }()

    /// The taste params (see `ShopGenerator.Tastes`), added after the kind's first release: each
    /// declares its default as its `legacy` value, so tasks without tastes keep their keys and bytes.
    static let tasteParams: [ParamSpec] = [
        ParamSpec("taste_groups", .int, 0, "customer taste groups for recommenders: group g prefers the categories c with c mod taste_groups = g (tastes.csv: user_id, group; truth under 'tastes'); 0: none",
                  bounds: .between(0, Double(ShopGenerator.categories.count)), legacy: .int(0)),
        ParamSpec("taste_strength", .float, 0.8, "share of a grouped customer's viewed products drawn from the group's categories", bounds: .between(0, 1), legacy: .float(0.8)),
        ParamSpec("product_skew", .float, 0.0, "Zipf exponent of product popularity: product p is viewed with weight 1/(p+1)^product_skew; 0: uniform",
                  bounds: .atLeast(0), legacy: .float(0)),
    ]

    /// The experiment's params (see `ExperimentGenerator`), added after the kind's first release:
    /// each declares its first default as its `legacy` value (a literal, so that changing the
    /// default in `ExperimentGenerator.Config` puts the param back into every key), so that tasks
    /// without an experiment keep their keys and artifacts.
    static let experimentParams: [ParamSpec] = {
        let e = ExperimentGenerator.Config()
        func floats(_ x: [Double]) -> ParamSpec.Default { .value(.list(x.map(ParamValue.float))) }
        return [
            ParamSpec("experiment_users", .int, 0, "users of a randomised experiment written to experiment.csv (one row each: user, variant, converted, purchases, spend, pre_purchases, pre_spend), with its truth under 'experiment' in truth.json; 0: none", bounds: .atLeast(0), legacy: .int(0)),
            ParamSpec("experiment_variants", .strings, .value(.list(e.variants.map(ParamValue.string))), "the variants, control first", legacy: .list([.string("control"), .string("treatment")])),
            ParamSpec("experiment_split", .floats, floats(e.split), "designed share of users per variant", legacy: .list([.float(0.5), .float(0.5)])),
            ParamSpec("experiment_assigned_split", .floats, .unset("the designed split"), "the shares users are really assigned with: a broken split, for the sample-ratio check to find", legacy: .null),
            ParamSpec("experiment_purchase_rate", .floats, floats(e.purchaseRate), "mean purchases per user during the experiment, per variant (the effect on conversion and spend)", legacy: .list([.float(0.3), .float(0.33)])),
            ParamSpec("experiment_order_value", .floats, floats(e.orderValue), "mean order value per variant", legacy: .list([.float(40), .float(42)])),
            ParamSpec("experiment_rate_shape", .float, .value(.float(e.rateShape)), "Gamma shape of users' purchase rates (smaller: users differ more, and CUPED gains more)", bounds: .above(0), legacy: .float(0.5)),
            ParamSpec("experiment_pre_periods", .float, .value(.float(e.prePeriods)), "length of the pre-period (pre_purchases, pre_spend) in experiment periods", bounds: .above(0), legacy: .float(4)),
        ]
    }()

    public static func validate(_ p: Params) -> [ParamProblem] {
        do {
            _ = try ShopGenerator(p.config, tastes: p.tastes)
            if let e = p.experiment { _ = try ExperimentGenerator(e) }
            return []
        } catch let e as AnalyticsError {
            if case let .invalidParameter(name, _, _) = e { return [ParamProblem(param: name, e.description)] }
            return [ParamProblem(param: nil, e.description)]
        } catch { return [ParamProblem(param: nil, "\(error)")] }
    }

    public static func run(_ p: Params, context: TaskContext) throws {
        let generator = try ShopGenerator(p.config, tastes: p.tastes)
        // Streamed: the table of the log's texts took 13 GB at 20 million events.
        let truth = try generator.write(to: context.output + "/events.csv")
        context.log("wrote events.csv: \(truth.events) rows x \(ShopGenerator.columns.count) columns")
        if !generator.customerGroup.isEmpty {
            try ArtifactFiles.write(Table([("user_id", .text(generator.customerGroup.indices.map { "u\($0)" })),
                                           ("group", .number(generator.customerGroup.map(Double.init)))]), context, "tastes.csv")
        }
        var metrics = ["events": Double(truth.events), "purchase_sessions": Double(truth.purchaseSessions),
                       "browse_sessions": Double(truth.browseSessions), "customers_alive_at_end": Double(truth.customersAliveAtEnd)]
        var experiment: ExperimentGenerator.Truth?
        if let e = p.experiment {
            let (table, t) = try ExperimentGenerator(e).generate()
            try ArtifactFiles.write(table, context, "experiment.csv")
            experiment = t
            for v in t.variants { metrics["experiment.users." + v.name] = Double(v.users) }
        }
        try ArtifactFiles.writeJSON(TruthFile(shop: truth, experiment: experiment, tastes: generator.tastesTruth), context, "truth.json")
        try ArtifactFiles.writeMetrics(metrics, context)
    }

    /// truth.json: the shop's truth (`ShopGenerator.Truth`) and, with an experiment, its truth
    /// under `experiment` (`ExperimentGenerator.Truth`), with tastes their truth under `tastes`
    /// (`ShopGenerator.TastesTruth`); without either the bytes are the shop's alone.
    struct TruthFile: Encodable {
        var shop: ShopGenerator.Truth
        var experiment: ExperimentGenerator.Truth?
        var tastes: ShopGenerator.TastesTruth?
        func encode(to encoder: Encoder) throws {
            try shop.encode(to: encoder)
            guard experiment != nil || tastes != nil else { return }
            var c = encoder.container(keyedBy: AnyKey.self)
            if let experiment { try c.encode(experiment, forKey: AnyKey("experiment")) }
            if let tastes { try c.encode(tastes, forKey: AnyKey("tastes")) }
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
        ParamSpec("event_type", .string, .required, "column with the event type (any vocabulary: clean and session_features take the type names as params; the shop's are view, cart, remove_from_cart, purchase)"),
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
        let config = EventIngest.Config(user: p.user, session: p.session, eventType: p.eventType, time: p.time, price: p.price, product: p.product,
                                        category: p.category, brand: p.brand, timeFormat: p.timeFormat, skipBadRows: p.onBadRow == "skip", extra: p.extra)
        // Streamed, a piece of the file at a time: the whole file as strings took 2.7 GB at 4 million events.
        let result = try EventIngest.stream(path: path, file: p.input.map { "\($0)/\(p.file)" } ?? p.file, config: config, to: context.output + "/events.csv")
        let summary = result.summary
        context.log("wrote events.csv: \(summary.rowsKept) rows x \(result.columns) columns")
        if !summary.skipped.isEmpty { context.log("skipped rows at lines \(summary.firstSkippedLines.map(String.init).joined(separator: ", "))...") }
        var metrics = ArtifactFiles.ingestMetrics(summary)
        for (t, n) in result.typeCounts { metrics["events." + t] = Double(n) }
        try ArtifactFiles.writeMetrics(metrics, context)
    }
}

/// `session_features`: events -> one row per session (features before the first label event, label).
public enum SessionFeaturesKind: TaskKind {
    public struct Params: Decodable, Sendable {
        public var input: String?
        public var file: String
        public var config: SessionFeatures.Config
        /// The types as written in `event_types` (nil when unset).
        public var eventTypes: [String]?
        public init(from d: Decoder) throws {
            let c = try d.container(keyedBy: AnyKey.self)
            func value<T: Decodable>(_ k: String) throws -> T { try c.decode(T.self, forKey: AnyKey(k)) }
            input = try c.decodeIfPresent(String.self, forKey: AnyKey("input"))
            file = try value("file")
            eventTypes = try c.decodeIfPresent([String].self, forKey: AnyKey("event_types"))
            let all: Bool = try value("all_event_types")
            config = SessionFeatures.Config(
                categorical: try value("categorical"), topLevels: try value("top_levels"), levels: try value("levels"),
                topLevelOnly: try value("top_level_only"), labelEvent: try value("label_event"), viewEvents: try value("view_events"),
                cartEvents: try value("cart_events"), removeEvents: try value("remove_events"), priceEvents: try value("price_events"),
                typeCounts: all ? .all : eventTypes.map { .listed($0) } ?? .none, typePositions: try value("type_positions"),
                absentTypes: SessionFeatures.AbsentTypes(rawValue: try value("absent_types")) ?? .fail)
        }
    }

    public static let name = "session_features"
    public static let version = 2
    public static let summary = "Per session, from events before its first label event (purchase): views, carts, removes, evening, log mean price, hour, duration, distinct products and categories, min/max/mean price, optional counts (and positions) of every event type, one-hot categorical columns; label = contains the label event -> sessions.csv."
    /// Params added after version 2 declare as `legacy` the value that keeps version 2's behaviour,
    /// so the shop's tasks keep their keys (the golden digest test holds the bytes).
    static func types(_ name: String, _ value: String, _ doc: String) -> ParamSpec {
        ParamSpec(name, .strings, .value(.list([.string(value)])), doc, legacy: .list([.string(value)]))
    }
    public static let params = [
        ParamSpec.soleInput("the needed task with the events"),
        ParamSpec("file", .string, "events.csv", "the canonical event table in INPUT"),
        ParamSpec("categorical", .strings, .value(.list([])), "event columns to one-hot encode (e.g. [category, brand]): a session's most frequent value -> columns NAME=LEVEL and NAME=other"),
        ParamSpec("top_levels", .int, 10, "levels per categorical column when not given: the values most sessions have", bounds: .atLeast(1)),
        ParamSpec("levels", .map, .value(.map([:])), "given levels per column, e.g. {brand: [acme, globex]}: use the training data's levels when scoring new data with predict"),
        ParamSpec("top_level_only", .strings, .value(.list([])), "categorical columns cut at the first '.' (category_code electronics.smartphone -> electronics)"),
        ParamSpec("label_event", .string, "purchase", "the event type that labels a session; features use only the events before its first one", legacy: .string("purchase")),
        types("view_events", "view", "event types counted in 'views'"),
        types("cart_events", "cart", "event types counted in 'carts'"),
        types("remove_events", "remove_from_cart", "event types counted in 'removes'"),
        types("price_events", "view", "event types whose prices make log_mean_price, min_price, max_price and mean_price"),
        ParamSpec("all_event_types", .bool, false, "add count.TYPE for every event type in the table but label_event (in byte order of the names), and distinct_types",
                  legacy: .bool(false)),
        ParamSpec("event_types", .strings, .unset("none"), "add count.TYPE for these types, in this order (scoring data gets the training columns), and distinct_types",
                  legacy: .null),
        ParamSpec("type_positions", .bool, false, "with per-type counts: also first.TYPE and last.TYPE, the 1-based position of a type's first and last event in the session (0: none)",
                  legacy: .bool(false)),
        ParamSpec("absent_types", .string, "fail", "a type of event_types that no event has: fail (a misspelt name), or zero (write zeros: a scoring batch without it)",
                  choices: SessionFeatures.AbsentTypes.allCases.map(\.rawValue), legacy: .string("fail")),
    ]

    public static func validate(_ p: Params) -> [ParamProblem] {
        var out: [ParamProblem] = []
        let c = p.config
        for k in c.levels.keys.sorted() where !c.categorical.contains(k) {
            out.append(ParamProblem(param: "levels", "param 'levels' names '\(k)', which is not in 'categorical' (\(c.categorical.joined(separator: ", ")))"))
        }
        for k in c.topLevelOnly where !c.categorical.contains(k) {
            out.append(ParamProblem(param: "top_level_only", "param 'top_level_only' names '\(k)', which is not in 'categorical' (\(c.categorical.joined(separator: ", ")))"))
        }
        // Columns NAME=LEVEL: a repeated name, or one with '=' (a=b with level c and a with level
        // b=c), would give two columns of one name.
        out += ArtifactFiles.columnNameProblems(c.categorical, param: "categorical", file: "sessions.csv", written: [])
        for name in c.categorical where name.contains("=") {
            out.append(ParamProblem(param: "categorical", "param 'categorical' names '\(name)': a name with '=' would make one-hot column names ambiguous"))
        }
        out += eventTypeProblems(p)
        return out
    }

    /// The event-type params: non-empty, each type once, never the label event (features stop before it).
    static func eventTypeProblems(_ p: Params) -> [ParamProblem] {
        var out: [ParamProblem] = []
        let c = p.config
        if c.labelEvent.isEmpty { out.append(ParamProblem(param: "label_event", "param 'label_event' must name an event type, got ''")) }
        let lists: [(String, [String]?)] = [("view_events", c.viewEvents), ("cart_events", c.cartEvents), ("remove_events", c.removeEvents),
                                             ("price_events", c.priceEvents), ("event_types", p.eventTypes)]
        for (name, list) in lists {
            guard let list else { continue }
            if list.isEmpty {
                let unset = name == "event_types" ? " (leave it unset for no per-type columns)" : " (a type no event has counts nothing)"
                out.append(ParamProblem(param: name, "param '\(name)' must name at least one event type, got []\(unset)"))
            }
            var seen = Set<String>()
            for t in list {
                if t.isEmpty { out.append(ParamProblem(param: name, "param '\(name)' names an empty event type")) }
                if !seen.insert(t).inserted { out.append(ParamProblem(param: name, "param '\(name)' names '\(t)' twice")) }
                if t == c.labelEvent && !c.labelEvent.isEmpty {
                    out.append(ParamProblem(param: name, "param '\(name)' names '\(t)', the label event (label_event): features use only the events before it, so it never counts"))
                }
            }
        }
        if p.eventTypes != nil && c.typeCounts == .all {
            out.append(ParamProblem(param: "event_types", "give either 'event_types' (these types) or 'all_event_types: true' (every type), not both"))
        }
        if c.typePositions && c.typeCounts == .none {
            out.append(ParamProblem(param: "type_positions", "param 'type_positions' needs per-type columns: set 'event_types' or 'all_event_types: true'"))
        }
        return out
    }

    public static func run(_ p: Params, context: TaskContext) throws {
        let input = try ArtifactFiles.soleInput(context, p.input, kind: name)
        let path = try ArtifactFiles.path(context, input: input, file: p.file)
        let written: SessionFeatures.Written
        do {
            // Streamed and dictionary-coded: the whole table as strings took 1.1 GB at 4 million events.
            written = try SessionFeatures.stream(path: path, file: path, config: p.config, to: context.output + "/sessions.csv")
            context.log("wrote sessions.csv: \(written.rows) rows x \(written.columns) columns")
        } catch {
            // The stream stops at a piece's first problem and gives up on texts equal as Strings
            // but not in bytes; the whole table gives `compute`'s table or the error a user must see.
            written = try wholeTable(p, context: context, input: input)
        }
        if !written.hasLabelEvent {
            context.log("warning: no event has the label event type '\(p.config.labelEvent)' (param 'label_event'): every label is 0")
        }
        try ArtifactFiles.writeMetrics(["sessions": Double(written.rows), "conversion_rate": Double(written.labelled) / Double(max(1, written.rows)),
                                        "columns": Double(written.columns)], context)
    }

    /// `session_features` on the table read whole (the reference `SessionFeatures.stream` is held to).
    static func wholeTable(_ p: Params, context: TaskContext, input: String) throws -> SessionFeatures.Written {
        let events = try ArtifactFiles.table(context, input: input, file: p.file, types: SessionFeatures.columnTypes(p.config))
        let hasLabel = (try events.texts("event_type")).contains(p.config.labelEvent)
        let t: Table
        do { t = try SessionFeatures.compute(events, config: p.config) } catch let AnalyticsError.invalidParameter(param, value, expected) where param == "event_types" {
            throw KindError("param '\(param)' names \(value), which no event in \(input)/\(p.file) has: expected \(expected)")
        }
        try ArtifactFiles.write(t, context, "sessions.csv")
        let labels = try t.numbers("label")
        return SessionFeatures.Written(rows: t.rowCount, labelled: labels.filter { $0 == 1 }.count, columns: t.columnCount, hasLabelEvent: hasLabel)
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
/// with rows in, rows out and rows dropped per reason in the metrics (and the report).
public enum CleanKind: TaskKind {
    public struct Params: Decodable, Sendable {
        public var input: String?
        public var file: String
        public var start: String?
        public var end: String?
        public var rules: Clean.Rules
        public init(from d: Decoder) throws {
            let c = try d.container(keyedBy: AnyKey.self)
            func value<T: Decodable>(_ k: String) throws -> T { try c.decode(T.self, forKey: AnyKey(k)) }
            input = try c.decodeIfPresent(String.self, forKey: AnyKey("input"))
            file = try value("file")
            start = try c.decodeIfPresent(String.self, forKey: AnyKey("start"))
            end = try c.decodeIfPresent(String.self, forKey: AnyKey("end"))
            rules = Clean.Rules(duplicateColumns: try value("duplicate_columns"), purchaseEvent: try value("purchase_event"),
                                purchaseNeedsPrice: try value("purchase_needs_price"), dropNegativePrices: try value("drop_negative_prices"))
        }
    }

    public static let name = "clean"
    public static let version = 1
    public static let summary = "Drops events without ids, events outside [start, end], negative prices, purchases without a price and duplicates (each rule a param) -> events.csv; counts per reason in the metrics and the report."
    /// Params added after version 1 declare as `legacy` the value that keeps version 1's rules, so
    /// existing tasks keep their keys (the golden digest test holds the bytes).
    static let defaultDuplicateColumns = ParamValue.list(Clean.Rules.defaultDuplicateColumns.map(ParamValue.string))
    public static let params = [
        ParamSpec.soleInput("the needed task with the canonical events"),
        ParamSpec("file", .string, "events.csv", "the event table in INPUT"),
        ParamSpec.date("start", .unset("none"), "drop events before this day"),
        ParamSpec.date("end", .unset("none"), "drop events after this day (inclusive last day)"),
        ParamSpec("duplicate_columns", .strings, .value(defaultDuplicateColumns),
                  "events equal in all these columns are duplicates (the first is kept); e.g. [user, session, event_type, time] for a log without products",
                  legacy: defaultDuplicateColumns),
        ParamSpec("purchase_event", .string, "purchase", "the event type that is a purchase", legacy: .string("purchase")),
        ParamSpec("purchase_needs_price", .bool, true, "drop a purchase without a positive price (false for a log without prices)", legacy: .bool(true)),
        ParamSpec("drop_negative_prices", .bool, true, "drop events with a negative price", legacy: .bool(true)),
    ]

    public static func validate(_ p: Params) -> [ParamProblem] {
        var out: [ParamProblem] = []
        if p.rules.duplicateColumns.isEmpty {
            out.append(ParamProblem(param: "duplicate_columns", "param 'duplicate_columns' must name at least one column of the event table, got []"))
        }
        out += ArtifactFiles.columnNameProblems(p.rules.duplicateColumns, param: "duplicate_columns", file: "events.csv", written: [])
        if p.rules.purchaseEvent.isEmpty { out.append(ParamProblem(param: "purchase_event", "param 'purchase_event' must name an event type, got ''")) }
        return out
    }

    public static func run(_ p: Params, context: TaskContext) throws {
        let input = try ArtifactFiles.soleInput(context, p.input, kind: name)
        let start = try p.start.map { Double(try ArtifactFiles.day($0, param: "start")) * 86400 }
        let end = try p.end.map { Double(try ArtifactFiles.day($0, param: "end") + 1) * 86400 }
        let path = try ArtifactFiles.path(context, input: input, file: p.file)
        let (s, purchases): (Clean.Summary, Int)
        do {
            // Streamed: the whole table as strings took 1.25 GB at 4 million events.
            let r = try Clean.stream(path: path, file: path, start: start, end: end, rules: p.rules, to: context.output + "/events.csv")
            (s, purchases) = (r.summary, r.purchases)
            context.log("wrote events.csv: \(s.rowsOut) rows")
        } catch {
            // The stream stops at a piece's first problem; the whole-table read names the one a
            // user must see (the file's first malformed record, then its first bad value).
            (s, purchases) = try wholeTable(p, context: context, input: input, start: start, end: end)
        }
        var metrics: [String: Double] = ["rows_in": Double(s.rowsIn), "rows_out": Double(s.rowsOut)]
        for r in Clean.reasons { metrics["dropped." + r.replacingOccurrences(of: " ", with: "_")] = Double(s.dropped[r] ?? 0) }
        for r in Clean.reasons where (s.dropped[r] ?? 0) > 0 { context.log("dropped \(s.dropped[r] ?? 0) of \(s.rowsIn) rows: \(r)") }
        if purchases > 0 && s.dropped["purchase without price"] == purchases {
            context.log("warning: every purchase ('\(p.rules.purchaseEvent)', \(purchases) rows) was dropped for lacking a price; a log without prices needs purchase_needs_price: false")
        }
        try ArtifactFiles.writeMetrics(metrics, context)
    }

    /// `clean` on the table read whole (the reference `Clean.stream` is held to): its summary and
    /// the rows of the purchase type.
    static func wholeTable(_ p: Params, context: TaskContext, input: String, start: Double?, end: Double?) throws -> (Clean.Summary, Int) {
        let events = try ArtifactFiles.table(context, input: input, file: p.file, types: Clean.columnTypes,
                                             otherColumns: .text)   // ingest's extra columns pass through as written
        let (out, s): (Table, Clean.Summary)
        do { (out, s) = try Clean.events(events, start: start, end: end, rules: p.rules) } catch let AnalyticsError.invalidParameter(param, value, expected) {
            throw KindError("param '\(param)' names \(value): expected \(expected)")
        }
        try ArtifactFiles.write(out, context, "events.csv")
        return (s, try events.texts("event_type").filter { $0 == p.rules.purchaseEvent }.count)
    }
}
