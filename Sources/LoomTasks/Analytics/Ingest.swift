import Foundation
import LoomAnalytics
import LoomCore

/// `ingest`: a user's transaction file -> the canonical transaction table (customer, time in
/// epoch seconds, amount) in `transactions.csv`, with a summary of skipped rows in the metrics.
public enum Ingest: TaskKind {
    public struct Params: Decodable, Sendable {
        public var file: String
        public var input: String?
        public var customer: String
        public var time: String
        public var amount: String
        public var timeFormat: TimeFormat
        public var onBadRow: String

        enum CodingKeys: String, CodingKey { case file, input, customer, time, amount, timeFormat = "time_format", onBadRow = "on_bad_row" }
    }

    public static let name = "ingest"
    public static let version = 2   // 2: invalid UTF-8 is a bad row (was U+FFFD), malformed records are skippable
    public static let summary = "Reads a transaction CSV (a project file, or FILE in the needed task INPUT) into transactions.csv: customer, time (epoch seconds), amount."
    public static let params = [
        ParamSpec.projectOrInputFile("the CSV file"),
        ParamSpec.optionalInput,
        ParamSpec("customer", .string, .required, "column with the customer id"),
        ParamSpec("time", .string, .required, "column with the date or time"),
        ParamSpec("amount", .string, .required, "column with the amount spent"),
        ParamSpec.timeFormat,
        ParamSpec.onBadRow,
    ]

    public static func run(_ p: Params, context: TaskContext) throws {
        let path = try ArtifactFiles.path(context, input: p.input, file: p.file)
        guard let data = FileManager.default.contents(atPath: path) else { throw KindError("cannot read \(path)") }
        let shown = p.input == nil ? p.file : "\(p.input!)/\(p.file)"
        let config = TransactionIngest.Config(customer: p.customer, time: p.time, amount: p.amount, timeFormat: p.timeFormat, skipBadRows: p.onBadRow == "skip")
        let (table, summary) = try TransactionIngest.run(bytes: [UInt8](data), file: shown, config: config)
        try ArtifactFiles.write(table, context, "transactions.csv")
        let metrics = ArtifactFiles.ingestMetrics(summary)
        try ArtifactFiles.writeMetrics(metrics, context)
        if !summary.skipped.isEmpty { context.log("skipped rows at lines \(summary.firstSkippedLines.map(String.init).joined(separator: ", "))...") }
    }
}

/// `customer_features`: transactions -> one row per customer (BG/NBD summary, RFM, holdout outcome).
public enum CustomerFeaturesKind: TaskKind {
    public struct Params: Decodable, Sendable {
        public var input: String?
        public var file: String?
        public var calibrationEnd: String
        public var holdoutEnd: String
        public var purchaseEvent: String
        enum CodingKeys: String, CodingKey { case input, file, calibrationEnd = "calibration_end", holdoutEnd = "holdout_end", purchaseEvent = "purchase_event" }
    }

    public static let name = "customer_features"
    public static let version = 1
    public static let summary = "Per customer, from transactions: frequency, recency, T (weeks), monetary value, RFM scores, holdout transactions and spend, churn label -> customers.csv."
    public static let params = [
        ParamSpec.soleInput("the needed task with the transactions"),
        ParamSpec("file", .string, .unset("transactions.csv if INPUT has it, else events.csv"), "the table in INPUT: transactions (customer, time, amount) or canonical events (purchase events are the transactions)"),
        ParamSpec.date("calibration_end", .required, "last day of the calibration period"),
        ParamSpec.date("holdout_end", .required, "last day of the holdout period"),
        ParamSpec("purchase_event", .string, "purchase", "events: the event type that is a transaction (with a positive price)", legacy: .string("purchase")),
    ]

    public static func validate(_ p: Params) -> [ParamProblem] {
        if p.purchaseEvent.isEmpty { return [ParamProblem(param: "purchase_event", "param 'purchase_event' must name an event type, got ''")] }
        // Each date is checked by its declaration; here only their order.
        guard let c = CivilDate.parse(p.calibrationEnd), let h = CivilDate.parse(p.holdoutEnd), h < c else { return [] }
        return [ParamProblem(param: "holdout_end", "param 'holdout_end' (\(p.holdoutEnd)) is before calibration_end (\(p.calibrationEnd))")]
    }

    public static func run(_ p: Params, context: TaskContext) throws {
        let input = try ArtifactFiles.soleInput(context, p.input, kind: name)
        let file = try p.file ?? (FileSystem.exists(context.input(input) + "/transactions.csv") ? "transactions.csv" : "events.csv")
        let path = try ArtifactFiles.path(context, input: input, file: file)
        // An event log, streamed: only its purchases are kept (the whole table as strings took
        // 1.1 GB at 4 million events). A log the stream cannot read (a bad value, a missing
        // column, no purchases) is read whole below, to fail with the whole-table error.
        let t = try (try? EventIngest.streamTransactions(path: path, file: path, purchaseType: p.purchaseEvent))
            ?? wholeTable(p, context: context, input: input, file: file)
        let days = try t.numbers("time").map { Int(($0 / 86400).rounded(.down)) }
        let f = try CustomerFeatures(customers: try t.texts("customer"), days: days, amounts: try t.numbers("amount"),
                                     calibrationEnd: try ArtifactFiles.day(p.calibrationEnd, param: "calibration_end"),
                                     holdoutEnd: try ArtifactFiles.day(p.holdoutEnd, param: "holdout_end"))
        try ArtifactFiles.write(f.table, context, "customers.csv")
        try ArtifactFiles.writeMetrics([
            "customers": Double(f.rows.count),
            "repeat_transactions": Double(f.rows.reduce(0) { $0 + $1.frequency }),
            "repeat_customers": Double(f.rows.filter { $0.frequency > 0 }.count),
            "holdout_transactions": Double(f.rows.reduce(0) { $0 + $1.holdoutTransactions }),
            "churn_rate": Double(f.rows.reduce(0) { $0 + $1.churned }) / Double(f.rows.count),
        ], context)
    }

    /// The transactions of the table read whole: the table itself, or an event log's purchases.
    static func wholeTable(_ p: Params, context: TaskContext, input: String, file: String) throws -> Table {
        var t = try ArtifactFiles.table(context, input: input, file: file, types: ["customer": .text, "user": .text, "session": .text, "event_type": .text,
                                                                                   "product": .text, "category": .text, "brand": .text])
        // An event log: its purchase events are the transactions.
        if t["event_type"] != nil {
            let purchases = try t.texts("event_type").lazy.filter { $0 == p.purchaseEvent }.count
            if purchases == 0 {
                let types = Array(Set(try t.texts("event_type"))).sorted()
                let hint = Suggestion.closest(to: p.purchaseEvent, in: types).map { " (did you mean '\($0)'?)" } ?? ""
                throw KindError("\(input)/\(file) has no '\(p.purchaseEvent)' events to take as transactions\(hint); its event types: \(types.prefix(20).joined(separator: ", ")). Name the purchase with param purchase_event")
            }
            t = try EventIngest.transactions(t, purchaseType: p.purchaseEvent)
        }
        return t
    }
}
