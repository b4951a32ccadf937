/// The units of an experiment as `ABTest` reads them from a CSV table: each row's variant, and
/// each metric's (and covariate's) value. Every cell must be there: an empty or non-numeric
/// metric or covariate cell, or an empty variant, is an error at its file, line and column
/// (leaving a unit out silently would bias the comparison it belongs to).
public struct ExperimentTable: Sendable {
    public var variants: [String]
    public var metrics: [ABTest.Metric]

    public init(variants: [String], metrics: [ABTest.Metric]) {
        self.variants = variants
        self.metrics = metrics
    }

    /// `covariates`: metric -> the column of its pre-period value (CUPED).
    public static func read(_ rows: CSV.Rows, variant: String, metrics: [String], covariates: [String: String]) throws -> ExperimentTable {
        let vj = try rows.column(variant, param: "variant")
        let variants = rows.columns[vj]
        if let r = variants.firstIndex(where: \.isEmpty) {
            throw rows.bad(row: r, field: vj, expected: "a variant name", found: "an empty field")
        }
        func numbers(_ column: String, param: String, what: String) throws -> [Double] {
            let j = try rows.column(column, param: param)
            var out: [Double] = []
            out.reserveCapacity(rows.count)
            for (r, text) in rows.columns[j].enumerated() {
                guard let x = CSV.number(text), x.isFinite else {
                    throw rows.bad(row: r, field: j, expected: "a finite number (\(what))", found: text.isEmpty ? "an empty field" : CSV.quoted(text))
                }
                out.append(x)
            }
            return out
        }
        var out: [ABTest.Metric] = []
        for m in metrics {
            let values = try numbers(m, param: "metrics", what: "metric '\(m)'")
            var covariate: (String, [Double])?
            if let c = covariates[m] { covariate = (c, try numbers(c, param: "covariates", what: "covariate of metric '\(m)'")) }
            out.append(ABTest.Metric(name: m, values: values, covariate: covariate))
        }
        return ExperimentTable(variants: variants, metrics: out)
    }
}
