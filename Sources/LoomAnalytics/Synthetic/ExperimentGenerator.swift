import Foundation

/// A randomised experiment with known effects, for `abtest` to recover: one row per user with
/// the variant the user was assigned, what the user did during the experiment and before it.
///
/// The story (every number is a `Config` field, written to truth.json):
/// 1. Each user has a purchase rate lambda ~ Gamma(shape `rateShape`, mean `purchaseRate[0]`) per
///    experiment period: users differ, and keep their differences (the reason CUPED works).
/// 2. Users are assigned to variant v with probability `assignedSplit[v]` (the designed `split`
///    unless a broken split is asked for), independently of lambda.
/// 3. Before the experiment, over `prePeriods` periods, a user makes Poisson(lambda * prePeriods)
///    purchases of mean value `orderValue[0]`: `pre_purchases`, `pre_spend`.
/// 4. During it, Poisson(lambda * purchaseRate[v] / purchaseRate[0]) purchases of mean value
///    `orderValue[v]`: `purchases`, `spend`, and `converted` = at least one purchase. Order values
///    are Gamma(2) (rounded to cents).
/// So the truth per variant is closed-form: lambda m_v ~ Gamma(r, mean purchaseRate[v]), hence
/// P(converted) = 1 - (1 + purchaseRate[v] / r)^(-r) (the Gamma's Laplace transform) and mean
/// spend per user = purchaseRate[v] * orderValue[v].
/// Each user has its own random stream, so rows do not depend on how work is scheduled.
public struct ExperimentGenerator: Sendable {
    public struct Config: Codable, Equatable, Sendable {
        public var seed: UInt64 = 1
        public var users = 20_000
        public var variants = ["control", "treatment"]
        /// The designed shares (normalised).
        public var split = [0.5, 0.5]
        /// The shares users really were assigned with (a broken split), or nil for `split`.
        public var assignedSplit: [Double]?
        /// Mean purchases per user during the experiment, per variant.
        public var purchaseRate = [0.3, 0.33]
        /// Mean order value, per variant.
        public var orderValue = [40.0, 42.0]
        /// Gamma shape of the users' purchase rates (smaller: more spread between users).
        public var rateShape = 0.5
        /// The pre-period's length in experiment periods.
        public var prePeriods = 4.0
        public init() {}
    }

    /// What generated the data: the config, and per variant the true values and realised counts.
    public struct Truth: Codable, Equatable, Sendable {
        public var config: Config
        public var variants: [Variant]
        public struct Variant: Codable, Equatable, Sendable {
            public var name: String
            public var users: Int
            public var designedShare: Double
            public var assignedShare: Double
            public var conversion: Double
            public var spendPerUser: Double
            /// Against the control (0 for the control itself).
            public var conversionDiff: Double, conversionLift: Double
            public var spendDiff: Double, spendLift: Double
        }
    }

    public static let columns = ["user", "variant", "converted", "purchases", "spend", "pre_purchases", "pre_spend"]

    let config: Config
    let split: [Double], assigned: [Double]

    public init(_ c: Config) throws {
        let k = c.variants.count
        func bad(_ name: String, _ value: String, _ expected: String) -> AnalyticsError { .invalidParameter(name: name, value: value, expected: expected) }
        guard k >= 2, Set(c.variants).count == k, !c.variants.contains("") else {
            throw bad("experiment_variants", c.variants.joined(separator: ", "), "at least two distinct, non-empty names, the control first")
        }
        guard c.users >= 1 else { throw bad("experiment_users", String(c.users), ">= 1") }
        for (name, v) in [("experiment_split", c.split), ("experiment_assigned_split", c.assignedSplit ?? c.split),
                          ("experiment_purchase_rate", c.purchaseRate), ("experiment_order_value", c.orderValue)] {
            guard v.count == k else { throw bad(name, "\(v.count) values", "one per variant (\(k): \(c.variants.joined(separator: ", ")))") }
            guard v.allSatisfy({ $0 > 0 && $0.isFinite }) else { throw bad(name, v.map(CSV.format).joined(separator: ", "), "positive numbers") }
        }
        guard c.rateShape > 0, c.rateShape.isFinite else { throw bad("experiment_rate_shape", String(c.rateShape), "> 0") }
        guard c.prePeriods > 0, c.prePeriods.isFinite else { throw bad("experiment_pre_periods", String(c.prePeriods), "> 0") }
        config = c
        split = c.split.map { $0 / c.split.reduce(0, +) }
        let a = c.assignedSplit ?? c.split
        assigned = a.map { $0 / a.reduce(0, +) }
    }

    /// The table (one row per user, in user order) and the truth.
    public func generate() -> (Table, Truth) {
        let c = config
        var variant: [String] = [], converted: [Double] = [], purchases: [Double] = [], spend: [Double] = []
        var prePurchases: [Double] = [], preSpend: [Double] = []
        var counts = [Int](repeating: 0, count: c.variants.count)
        for i in 0..<c.users {
            // Streams apart from ShopGenerator's (which use this seed with streams 0...customers and max).
            var rng = SeededRandom(seed: c.seed ^ 0x4142_5445_5354, stream: UInt64(i))
            let lambda = rng.gamma(shape: c.rateShape, scale: c.purchaseRate[0] / c.rateShape)
            let u = rng.uniform()
            var v = 0, acc = assigned[0]
            while v < assigned.count - 1 && u >= acc { v += 1; acc += assigned[v] }
            counts[v] += 1
            let before = rng.poisson(mean: lambda * c.prePeriods)
            let during = rng.poisson(mean: lambda * c.purchaseRate[v] / c.purchaseRate[0])
            variant.append(c.variants[v])
            prePurchases.append(Double(before))
            preSpend.append(orders(before, mean: c.orderValue[0], &rng))
            purchases.append(Double(during))
            spend.append(orders(during, mean: c.orderValue[v], &rng))
            converted.append(during > 0 ? 1 : 0)
        }
        let table = Table([("user", .text((0..<c.users).map { "e\($0)" })), ("variant", .text(variant)), ("converted", .number(converted)),
                           ("purchases", .number(purchases)), ("spend", .number(spend)), ("pre_purchases", .number(prePurchases)),
                           ("pre_spend", .number(preSpend))])
        return (table, truth(counts))
    }

    /// The sum of `n` Gamma(2) order values of mean `mean`, each rounded to cents.
    func orders(_ n: Int, mean: Double, _ rng: inout SeededRandom) -> Double {
        var cents = 0.0
        for _ in 0..<n { cents += (rng.gamma(shape: 2, scale: mean / 2) * 100).rounded() }
        return cents / 100
    }

    func truth(_ counts: [Int]) -> Truth {
        let c = config
        let conversion = c.purchaseRate.map { 1 - pow(1 + $0 / c.rateShape, -c.rateShape) }
        let spend = zip(c.purchaseRate, c.orderValue).map { $0 * $1 }
        let variants = c.variants.indices.map { v in
            Truth.Variant(name: c.variants[v], users: counts[v], designedShare: split[v], assignedShare: assigned[v],
                          conversion: conversion[v], spendPerUser: spend[v],
                          conversionDiff: conversion[v] - conversion[0], conversionLift: conversion[v] / conversion[0] - 1,
                          spendDiff: spend[v] - spend[0], spendLift: spend[v] / spend[0] - 1)
        }
        return Truth(config: c, variants: variants)
    }
}
