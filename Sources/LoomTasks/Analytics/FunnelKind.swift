import Foundation
import LoomAnalytics
import LoomCore

/// `funnel`: an ordered funnel over the canonical event table (see `Funnel`).
///
/// Writes (format version 1):
/// - `funnel.csv`: `breakdown, level, step_index, step, units, conversion_from_previous,
///   conversion_from_first, drop_off, median_seconds_from_previous, p90_seconds_from_previous`;
///   the whole table first (breakdown and level `all`), then each breakdown in param order, its
///   levels by units (most first, ties by name), pooled `other` last. Conversion from previous at
///   the first step is from all the group's units; a conversion with no units before it and the
///   times at the first step are empty.
/// - `abandonment.csv`: `breakdown, level, units_with_cart, abandoned, abandonment_rate` (empty
///   rate without carts): units with a cart event and no purchase at or after their first one.
/// - `funnel.json`: `format` ("loom-funnel 1"), `unit`, `steps`, `by` (what the report reads).
/// - metrics: `units`, `reached.STEP`, `conversion.STEP` (from the first step), `cart_abandonment`.
public enum FunnelKind: TaskKind {
    public struct Params: Decodable, Sendable {
        public var input: String?
        public var file: String
        public var steps: [String]
        public var unit: String
        public var by: [String]
        public var topLevels: Int
        public var cartEvent: String
        public var purchaseEvent: String
        enum CodingKeys: String, CodingKey {
            case input, file, steps, unit, by, topLevels = "top_levels", cartEvent = "cart_event", purchaseEvent = "purchase_event"
        }
    }

    public static let name = "funnel"
    public static let version = 1
    public static let summary = "Ordered funnel of STEPS (event types) per session or user: units reaching each step, conversion from the previous and the first step, drop-off, median and p90 time between steps, cart abandonment; overall and per level of BY columns -> funnel.csv, abandonment.csv."
    public static let params = [
        ParamSpec.soleInput("the needed task with the events"),
        ParamSpec("file", .string, "events.csv", "the canonical event table in INPUT (user, session, event_type, time, ...)"),
        ParamSpec("steps", .strings, .value(.list(["view", "cart", "purchase"].map(ParamValue.string))), "event types in funnel order"),
        ParamSpec("unit", .string, "session", "count sessions or users", choices: ["session", "user"]),
        ParamSpec("by", .strings, .value(.list([])), "breakdown columns of the events (e.g. [category, brand, device]); day_of_week is derived from the time unless the table has such a column; a unit's level is its first event's"),
        ParamSpec("top_levels", .int, 10, "levels kept per breakdown (most units first); the rest are pooled as 'other'", bounds: .atLeast(1)),
        ParamSpec("cart_event", .string, "cart", "event type of adding to the cart, for cart abandonment"),
        ParamSpec("purchase_event", .string, "purchase", "event type of a purchase, for cart abandonment"),
    ]

    public static func validate(_ p: Params) -> [ParamProblem] {
        var out: [ParamProblem] = []
        if p.steps.isEmpty { out.append(ParamProblem(param: "steps", "param 'steps' must name at least one event type")) }
        if p.steps.contains("") { out.append(ParamProblem(param: "steps", "param 'steps' names an empty event type")) }
        if Set(p.steps).count != p.steps.count { out.append(ParamProblem(param: "steps", "param 'steps' names an event type twice (\(p.steps.joined(separator: ", ")))")) }
        out += ArtifactFiles.columnNameProblems(p.by, param: "by", file: "funnel.csv", written: [])
        for b in p.by where ["user", "session", "event_type", "time"].contains(b) {
            out.append(ParamProblem(param: "by", "param 'by' names '\(b)': expected a categorical column, not one of user, session, event_type, time"))
        }
        return out
    }

    public static func run(_ p: Params, context: TaskContext) throws {
        let input = try ArtifactFiles.soleInput(context, p.input, kind: name)
        var types: [String: CSV.ColumnType] = ["user": .text, "session": .text, "event_type": .text, "time": .number]
        for b in p.by { types[b] = .text }
        let events = try ArtifactFiles.table(context, input: input, file: p.file, types: types)
        let file = "\(input)/\(p.file)"
        func column(_ c: String, param: String) throws -> [String] {
            guard events[c] != nil else {
                throw KindError("\(file) has no column '\(c)' (param '\(param)'); columns: \(events.names.joined(separator: ", "))")
            }
            return try events.texts(c)
        }
        let breakdowns: [[String]?] = try p.by.map { b in
            b == Funnel.dayOfWeek && events[b] == nil ? nil : try column(b, param: "by")
        }
        guard events["time"] != nil else { throw KindError("\(file) has no column 'time'; columns: \(events.names.joined(separator: ", "))") }
        var config = Funnel.Config(steps: p.steps)
        config.breakdowns = p.by
        config.topLevels = p.topLevels
        config.cartEvent = p.cartEvent
        config.purchaseEvent = p.purchaseEvent
        let r = try Funnel.compute(unit: try column(p.unit, param: "unit"), type: try column("event_type", param: "steps"), time: try events.numbers("time"),
                                   breakdowns: breakdowns, config: config, file: file)
        let rows = r.rows
        try ArtifactFiles.write(Table([
            ("breakdown", .text(rows.map(\.breakdown))), ("level", .text(rows.map(\.level))), ("step_index", .number(rows.map { Double($0.index) })),
            ("step", .text(rows.map(\.step))), ("units", .number(rows.map { Double($0.units) })),
            ("conversion_from_previous", .number(rows.map { $0.fromPrevious ?? .nan })), ("conversion_from_first", .number(rows.map { $0.fromFirst ?? .nan })),
            ("drop_off", .number(rows.map { Double($0.dropOff) })),
            ("median_seconds_from_previous", .number(rows.map { $0.medianSeconds ?? .nan })), ("p90_seconds_from_previous", .number(rows.map { $0.p90Seconds ?? .nan })),
        ]), context, "funnel.csv")
        let a = r.abandonment
        try ArtifactFiles.write(Table([
            ("breakdown", .text(a.map(\.breakdown))), ("level", .text(a.map(\.level))), ("units_with_cart", .number(a.map { Double($0.unitsWithCart) })),
            ("abandoned", .number(a.map { Double($0.abandoned) })), ("abandonment_rate", .number(a.map { $0.rate ?? .nan })),
        ]), context, "abandonment.csv")
        try ArtifactFiles.writeJSON(Summary(unit: p.unit, steps: p.steps, by: p.by), context, "funnel.json")
        var m: [String: Double] = ["units": Double(r.units)]
        for row in rows where row.breakdown == "all" {
            m["reached." + row.step] = Double(row.units)
            if let f = row.fromFirst { m["conversion." + row.step] = f }
        }
        if let rate = a.first?.rate { m["cart_abandonment"] = rate }
        try ArtifactFiles.writeMetrics(m, context)
    }

    /// funnel.json, format version 1.
    struct Summary: Codable {
        var format = "loom-funnel 1"
        var unit: String
        var steps: [String]
        var by: [String]
    }
}
