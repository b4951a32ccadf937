import Foundation

/// Row indices of a train/test split, each side in ascending row order.
public struct TrainTestSplit: Codable, Equatable, Sendable {
    public var train: [Int]
    public var test: [Int]

    public init(train: [Int], test: [Int]) {
        self.train = train
        self.test = test
    }
}

/// Deterministic train/test splits: by a column that already says which side a row is on, by
/// group (for example user) so that all rows of a group land on the same side, or by row order.
public enum Split {
    /// Split by a text column whose values are `trainValue` or `testValue`.
    /// - Throws: `AnalyticsError.missingColumn` / `.wrongColumnType` for the column,
    ///   `.invalidInput` for any other value (naming the row), `.tooFewRows` if a side is empty.
    public static func byColumn(_ table: Table, column: String, trainValue: String = "train",
                                testValue: String = "test") throws -> TrainTestSplit {
        guard let c = table[column] else { throw AnalyticsError.missingColumn(name: column, available: table.names) }
        guard let values = c.texts else {
            throw AnalyticsError.wrongColumnType(name: column, expected: "text ('\(trainValue)' or '\(testValue)')")
        }
        return try byValues(values, column: column, trainValue: trainValue, testValue: testValue)
    }

    /// Split by per-row values `trainValue` / `testValue` (`column` names them in errors).
    public static func byValues(_ values: [String], column: String = "split", trainValue: String = "train",
                                testValue: String = "test") throws -> TrainTestSplit {
        var split = TrainTestSplit(train: [], test: [])
        for (i, v) in values.enumerated() {
            switch v {
            case trainValue: split.train.append(i)
            case testValue: split.test.append(i)
            default:
                throw AnalyticsError.invalidInput(what: "column '\(column)' at row \(i) is '\(v)'",
                                                  expected: "'\(trainValue)' or '\(testValue)'")
            }
        }
        try checkBothSides(split)
        return split
    }

    /// Split by the groups of a text or numeric column (see `byGroup(_:testFraction:seed:)`).
    /// - Throws: as `byGroup`, plus `.missingColumn` for the column; a numeric column must not hold NaN.
    public static func byGroup(_ table: Table, column: String, testFraction: Double, seed: UInt64) throws -> TrainTestSplit {
        guard let c = table[column] else { throw AnalyticsError.missingColumn(name: column, available: table.names) }
        switch c {
        case .text(let v): return try byGroup(v, testFraction: testFraction, seed: seed)
        case .number(let v):
            if let i = v.firstIndex(where: { $0.isNaN }) {
                throw AnalyticsError.invalidInput(what: "group column '\(column)' at row \(i) is missing", expected: "a group id")
            }
            return try byGroup(v, testFraction: testFraction, seed: seed)
        }
    }

    /// Split rows by group: the distinct group ids are sorted ascending, shuffled with
    /// `SeededRandom(seed:)` (Fisher-Yates), and the first ceil(testFraction * groups) go to test
    /// (the product is lowered by 1e-9 first so that 0.7 * 10 = 7.000000000000001 means 7 groups).
    /// Every row of a group lands on the same side.
    /// - Throws: `AnalyticsError.invalidParameter` unless 0 < testFraction < 1, `.tooFewRows` if a side
    ///   would be empty (for example fewer than 2 groups).
    public static func byGroup<Group: Comparable & Hashable>(_ groups: [Group], testFraction: Double,
                                                             seed: UInt64) throws -> TrainTestSplit {
        guard testFraction > 0, testFraction < 1 else {
            throw AnalyticsError.invalidParameter(name: "testFraction", value: "\(testFraction)", expected: "a number in (0, 1)")
        }
        var ids = Array(Set(groups)).sorted()   // sorted: the shuffle's input does not depend on Set order
        var rng = SeededRandom(seed: seed)
        rng.shuffle(&ids)
        let testCount = Int((testFraction * Double(ids.count) - 1e-9).rounded(.up))
        let testGroups = Set(ids.prefix(testCount))   // membership only
        var split = TrainTestSplit(train: [], test: [])
        for (i, g) in groups.enumerated() {
            if testGroups.contains(g) { split.test.append(i) } else { split.train.append(i) }
        }
        try checkBothSides(split)
        return split
    }

    /// Split by row order, for time-ordered data: the first `trainRows` rows train and the rest test,
    /// or without `trainRows` the last ceil(testFraction * rows) rows test (the product lowered by
    /// 1e-9 first, as in `byGroup`).
    /// - Throws: `.invalidParameter` for trainRows outside 1..<rows or testFraction outside (0, 1),
    ///   `.tooFewRows` if a side would be empty.
    public static func byOrder(rows: Int, trainRows: Int? = nil, testFraction: Double = 0.2) throws -> TrainTestSplit {
        let n: Int
        if let trainRows {
            guard trainRows >= 1, trainRows < rows else {
                throw AnalyticsError.invalidParameter(name: "train_rows", value: "\(trainRows)", expected: "from 1 to \(rows - 1) (fewer than the \(rows) rows)")
            }
            n = trainRows
        } else {
            guard testFraction > 0, testFraction < 1 else {
                throw AnalyticsError.invalidParameter(name: "testFraction", value: "\(testFraction)", expected: "a number in (0, 1)")
            }
            n = rows - Int((testFraction * Double(rows) - 1e-9).rounded(.up))
        }
        let split = TrainTestSplit(train: Array(0..<max(0, n)), test: Array(max(0, n)..<max(0, rows)))
        try checkBothSides(split)
        return split
    }

    static func checkBothSides(_ split: TrainTestSplit) throws {
        if split.train.isEmpty { throw AnalyticsError.tooFewRows(what: "training split", rows: 0, needed: 1) }
        if split.test.isEmpty { throw AnalyticsError.tooFewRows(what: "test split", rows: 0, needed: 1) }
    }
}
