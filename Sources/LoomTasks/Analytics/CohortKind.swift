import Foundation
import LoomAnalytics
import LoomCore

/// `cohort`: retention and revenue of users grouped by the week or month of their first purchase
/// (or first event), over the canonical event table (see `Cohort`).
///
/// Writes (format version 1):
/// - `cohort.csv`: one row per cohort and period: `cohort, size, period, active_users, retention,
///   revenue, revenue_per_user, cumulative_revenue_per_user, complete` (1, or 0 for a period the
///   data covers only in part); cohorts in time order, periods from 0.
/// - `retention.csv`, `revenue.csv`: the same as matrices, one row per cohort (`cohort, size,
///   period_0, period_1, ...`), retention and revenue per cell; empty where the data ends first.
/// - `cohort.json`: `format` ("loom-cohort 1"), `period`, `start`, `activity` (what the report reads).
/// - metrics: `cohorts`, `users`, `revenue`, `retention.period_K` for K = 1, 2, 3 (complete cells,
///   cohorts weighted by size).
public enum CohortKind: TaskKind {
    public struct Params: Decodable, Sendable {
        public var input: String?
        public var file: String
        public var period: String
        public var start: String
        public var activity: String
        public var purchaseEvent: String
        public var amount: String
        public var maxPeriod: Int?
        enum CodingKeys: String, CodingKey {
            case input, file, period, start, activity, purchaseEvent = "purchase_event", amount, maxPeriod = "max_period"
        }
    }

    public static let name = "cohort"
    public static let version = 1
    public static let summary = "Users grouped by the week or month (UTC) of their first purchase or first event: active users, retention and revenue per cohort and period since -> cohort.csv, retention.csv and revenue.csv matrices."
    public static let params = [
        ParamSpec.soleInput("the needed task with the events"),
        ParamSpec("file", .string, "events.csv", "the canonical event table in INPUT (user, event_type, time, and the AMOUNT column)"),
        ParamSpec("period", .string, "month", "calendar period of cohorts and of the periods after (weeks start on Monday)", choices: Cohort.Period.allCases.map(\.rawValue)),
        ParamSpec("start", .string, "first_purchase", "what puts a user in a cohort: their first purchase (users who never buy are left out) or their first event",
                  choices: Cohort.Start.allCases.map(\.rawValue)),
        ParamSpec("activity", .string, .computed("purchase when START is first_purchase, else any", { r in
            .string(r["start"] == .string(Cohort.Start.firstSeen.rawValue) ? Cohort.Activity.any.rawValue : Cohort.Activity.purchase.rawValue)
        }), "what makes a user active in a period: a purchase, or any event", choices: Cohort.Activity.allCases.map(\.rawValue)),
        ParamSpec("purchase_event", .string, "purchase", "event type of a purchase"),
        ParamSpec("amount", .string, "price", "column with a purchase's amount (revenue)"),
        ParamSpec("max_period", .int, .unset("every period the data reaches"), "periods kept per cohort: 0 to MAX_PERIOD", bounds: .atLeast(0)),
    ]

    public static func run(_ p: Params, context: TaskContext) throws {
        let input = try ArtifactFiles.soleInput(context, p.input, kind: name)
        let events = try ArtifactFiles.table(context, input: input, file: p.file, types: ["user": .text, "event_type": .text, "time": .number, p.amount: .number])
        let file = "\(input)/\(p.file)"
        for c in ["user", "event_type", "time", p.amount] where events[c] == nil {
            throw KindError("\(file) has no column '\(c)'\(c == p.amount ? " (param 'amount')" : ""); columns: \(events.names.joined(separator: ", "))")
        }
        let config = Cohort.Config(period: Cohort.Period(rawValue: p.period) ?? .month, start: Cohort.Start(rawValue: p.start) ?? .firstPurchase,
                                   activity: Cohort.Activity(rawValue: p.activity) ?? .purchase, maxPeriod: p.maxPeriod)
        let r = try Cohort.compute(user: try events.texts("user"), time: try events.numbers("time"),
                                   purchase: try events.texts("event_type").map { $0 == p.purchaseEvent }, amount: try events.numbers(p.amount),
                                   config: config, file: file)
        let cells = r.cells
        let sizeOf = Dictionary(uniqueKeysWithValues: r.cohorts.map { ($0.label, $0.size) })
        try ArtifactFiles.write(Table([
            ("cohort", .text(cells.map(\.cohort))), ("size", .number(cells.map { Double(sizeOf[$0.cohort] ?? 0) })),
            ("period", .number(cells.map { Double($0.period) })), ("active_users", .number(cells.map { Double($0.activeUsers) })),
            ("retention", .number(cells.map(\.retention))), ("revenue", .number(cells.map(\.revenue))),
            ("revenue_per_user", .number(cells.map(\.revenuePerUser))), ("cumulative_revenue_per_user", .number(cells.map(\.cumulativeRevenuePerUser))),
            ("complete", .number(cells.map { $0.complete ? 1 : 0 })),
        ]), context, "cohort.csv")
        try ArtifactFiles.write(matrix(r, \.retention), context, "retention.csv")
        try ArtifactFiles.write(matrix(r, \.revenue), context, "revenue.csv")
        try ArtifactFiles.writeJSON(Summary(period: p.period, start: p.start, activity: p.activity), context, "cohort.json")
        var m: [String: Double] = ["cohorts": Double(r.cohorts.count), "users": Double(r.users), "revenue": cells.reduce(0) { $0 + $1.revenue }]
        for k in 1...3 { if let v = r.retention(period: k) { m["retention.period_\(k)"] = v } }
        try ArtifactFiles.writeMetrics(m, context)
    }

    /// One row per cohort, one column per period (`period_K`), empty past the data's end.
    static func matrix(_ r: Cohort.Result, _ value: KeyPath<Cohort.Cell, Double>) -> Table {
        let periods = (r.cells.map(\.period).max() ?? -1) + 1
        var columns = [[Double]](repeating: [Double](repeating: .nan, count: r.cohorts.count), count: periods)
        let row = Dictionary(uniqueKeysWithValues: r.cohorts.enumerated().map { ($1.label, $0) })
        for c in r.cells { columns[c.period][row[c.cohort]!] = c[keyPath: value] }
        return Table([("cohort", .text(r.cohorts.map(\.label))), ("size", .number(r.cohorts.map { Double($0.size) }))]
                     + columns.enumerated().map { ("period_\($0)", Column.number($1)) })
    }

    /// cohort.json, format version 1.
    struct Summary: Codable {
        var format = "loom-cohort 1"
        var period: String
        var start: String
        var activity: String
    }
}
