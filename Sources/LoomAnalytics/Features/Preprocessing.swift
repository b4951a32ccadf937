import Foundation

/// What a model does to a table's columns before it sees them, fitted on the training rows and
/// saved with the model, so that scoring a new table applies exactly the same steps: numeric
/// columns with missing values (NaN, an empty CSV field) filled by `imputation`, and text columns
/// one-hot encoded with the levels seen in training.
///
/// The model's columns are the numeric columns in the given order, then for each categorical
/// column one 0/1 column per level (`column=level`, levels sorted). A value not among the training
/// levels, or empty, is 0 in every one of them.
///
/// JSON form (part of train's model.json): `{"numeric": [...], "imputation": "median", "fill": [...],
/// "categorical": [{"column": "device", "levels": ["mobile", "web"]}]}`; `fill` has one value per
/// numeric column (NaN is never a fill value; with imputation none, `fill` is empty).
public struct Preprocessing: Codable, Equatable, Sendable {
    public enum Imputation: String, Codable, Sendable, CaseIterable {
        /// Missing values stay NaN (the tree models send them down their learned side; the linear
        /// models refuse them).
        case none
        /// The training rows' median (numpy's: the mean of the two middle values of an even count).
        case median
        /// The training rows' mean.
        case mean
        /// A fixed value.
        case constant
    }

    public struct Categorical: Codable, Equatable, Sendable {
        public var column: String
        public var levels: [String]
    }

    public var numeric: [String]
    public var imputation: Imputation
    public var fill: [Double]
    public var categorical: [Categorical]

    /// The model's column names: the numeric columns, then `column=level` for every level.
    public var featureNames: [String] {
        numeric + categorical.flatMap { c in c.levels.map { "\(c.column)=\($0)" } }
    }

    /// Fits fill values and levels on the table's rows `rows`.
    /// - Throws: `AnalyticsError.missingColumn`, `.wrongColumnType` (a numeric column that is text),
    ///   `.invalidInput` for a numeric column with no value on the training rows to impute from.
    public static func fit(_ t: Table, rows: [Int], numeric: [String], categorical: [String], imputation: Imputation,
                           constant: Double = 0) throws -> Preprocessing {
        var fill: [Double] = []
        for name in numeric {
            guard let c = t[name] else { throw AnalyticsError.missingColumn(name: name, available: t.names) }
            guard let v = c.numbers else { throw AnalyticsError.wrongColumnType(name: name, expected: "numeric") }
            let present = rows.map { v[$0] }.filter { !$0.isNaN }
            switch imputation {
            case .none: continue
            case .constant: fill.append(constant); continue
            case .mean, .median: break
            }
            guard !present.isEmpty else {
                throw AnalyticsError.invalidInput(what: "column '\(name)' has no value on the \(rows.count) training rows", expected: "values to impute from")
            }
            if imputation == .mean {
                fill.append(present.reduce(0, +) / Double(present.count))
            } else {
                let s = present.sorted(), n = s.count
                fill.append(n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2)
            }
        }
        var levels: [Categorical] = []
        for name in categorical {
            guard t[name] != nil else { throw AnalyticsError.missingColumn(name: name, available: t.names) }
            let texts = try t.texts(name)
            levels.append(Categorical(column: name, levels: Set(rows.map { texts[$0] }.filter { !$0.isEmpty }).sorted()))
        }
        return Preprocessing(numeric: numeric, imputation: imputation, fill: fill, categorical: levels)
    }

    /// The model's matrix of a table (every row): numeric columns with missing values filled, then the one-hot columns.
    /// - Throws: `AnalyticsError.invalidInput` naming every column the table lacks, `.wrongColumnType` for a
    ///   numeric column that is text.
    public func matrix(_ t: Table) throws -> Matrix {
        let missing = (numeric + categorical.map(\.column)).filter { t[$0] == nil }
        guard missing.isEmpty else {
            throw AnalyticsError.invalidInput(what: "the table lacks the model's columns \(missing.joined(separator: ", ")) (it has: \(t.names.joined(separator: ", ")))",
                                              expected: "every column the model was trained on")
        }
        let width = featureNames.count
        var x = Matrix(rows: t.rowCount, columns: width)
        for (j, name) in numeric.enumerated() {
            guard let v = t[name]?.numbers else { throw AnalyticsError.wrongColumnType(name: name, expected: "numeric, as in training") }
            let f = fill.isEmpty ? Double.nan : fill[j]
            for i in 0..<t.rowCount { x[i, j] = v[i].isNaN ? f : v[i] }
        }
        var j = numeric.count
        for c in categorical {
            let texts = try t.texts(c.column)
            var index: [String: Int] = [:]
            for (k, level) in c.levels.enumerated() { index[level] = k }
            for i in 0..<t.rowCount {
                for k in 0..<c.levels.count { x[i, j + k] = 0 }
                if let k = index[texts[i]] { x[i, j + k] = 1 }
            }
            j += c.levels.count
        }
        return x
    }
}
