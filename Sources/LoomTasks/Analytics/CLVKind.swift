import Foundation
import LoomAnalytics
import LoomCore

/// `clv`: fits BG/NBD and Gamma-Gamma on customer features and predicts, per customer, P(alive),
/// expected transactions over the horizon, expected spend and discounted CLV.
public enum CLVKind: TaskKind {
    public struct Params: Decodable, Sendable {
        public var input: String?
        public var file: String
        public var horizonWeeks: Double
        public var clvPeriods: Int
        public var periodWeeks: Double
        public var discountRate: Double
        enum CodingKeys: String, CodingKey {
            case input, file, horizonWeeks = "horizon_weeks", clvPeriods = "clv_periods", periodWeeks = "period_weeks", discountRate = "discount_rate"
        }
    }

    public static let name = "clv"
    public static let version = 1
    public static let summary = "Fits BG/NBD (FHL 2005) and Gamma-Gamma (Fader & Hardie 2013) by maximum likelihood; writes model.json and predictions.csv (P(alive), expected transactions and spend, CLV)."
    public static let params = [
        ParamSpec.soleInput("the needed task with customer features"),
        ParamSpec("file", .string, "customers.csv", "the table in INPUT (customer, frequency, recency, T, monetary)"),
        ParamSpec("horizon_weeks", .float, 39, "horizon of expected transactions (weeks), e.g. the holdout length", bounds: .above(0)),
        // At most 100 years of monthly periods: the CLV sum takes one term per period, and
        // `clv_periods: 9223372036854775807` ran for minutes without end.
        ParamSpec("clv_periods", .int, 12, "number of discounting periods for CLV", bounds: .between(1, 1200)),
        ParamSpec("period_weeks", .float, 4.345, "length of a period in weeks (a month)", bounds: .above(0)),
        ParamSpec("discount_rate", .float, 0.01, "discount rate per period", bounds: .atLeast(0)),
    ]

    struct Output: Codable {
        var bgnbd: BGNBDModel
        var gammaGamma: GammaGammaModel
        var horizonWeeks: Double
    }

    public static func run(_ p: Params, context: TaskContext) throws {
        let input = try ArtifactFiles.soleInput(context, p.input, kind: name)
        let t = try ArtifactFiles.table(context, input: input, file: p.file, types: ["customer": .text])
        let x = try t.numbers("frequency"), tx = try t.numbers("recency"), T = try t.numbers("T"), m = try t.numbers("monetary")
        let bg = try BGNBD.fit(frequency: x, recency: tx, age: T)
        let gg = try GammaGamma.fit(frequency: x, meanSpend: m)
        context.log("BG/NBD r=\(bg.r) alpha=\(bg.alpha) a=\(bg.a) b=\(bg.b) LL=\(bg.logLikelihood); Gamma-Gamma p=\(gg.p) q=\(gg.q) v=\(gg.v)")
        var alive: [Double] = [], expected: [Double] = [], spend: [Double] = [], clv: [Double] = []
        for i in x.indices {
            alive.append(bg.probabilityAlive(x: x[i], tx: tx[i], T: T[i]))
            expected.append(bg.conditionalExpectedTransactions(t: p.horizonWeeks, x: x[i], tx: tx[i], T: T[i]))
            spend.append(gg.conditionalExpectedSpend(x: x[i], zbar: m[i]))
            clv.append(CLV.value(bgnbd: bg, spend: gg, x: x[i], tx: tx[i], T: T[i], zbar: m[i], horizon: p.clvPeriods,
                                 periodWeeks: p.periodWeeks, discountRate: p.discountRate))
        }
        var out = Table([("customer", .text(try t.texts("customer"))), ("frequency", .number(x)), ("p_alive", .number(alive)),
                         ("expected_transactions", .number(expected)), ("expected_spend", .number(spend)), ("clv", .number(clv))])
        // Keep the holdout truth beside the prediction so `evaluate` can compare them.
        for c in ["holdout_transactions", "holdout_spend"] where t[c] != nil { out.append(c, t[c]!) }
        try ArtifactFiles.write(out, context, "predictions.csv")
        try ArtifactFiles.writeJSON(Output(bgnbd: bg, gammaGamma: gg, horizonWeeks: p.horizonWeeks), context, "model.json")
        try ArtifactFiles.writeMetrics([
            "r": bg.r, "alpha": bg.alpha, "a": bg.a, "b": bg.b, "log_likelihood": bg.logLikelihood,
            "p": gg.p, "q": gg.q, "v": gg.v, "predicted_transactions": expected.reduce(0, +), "mean_clv": clv.reduce(0, +) / Double(clv.count),
        ], context)
    }
}
