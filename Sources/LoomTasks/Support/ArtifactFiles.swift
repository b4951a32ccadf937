import Foundation
import LoomAnalytics
import LoomCore

/// Reading and writing the files of artifacts from built-in kinds: tables as CSV (the format every
/// user can open; see `CSV`), models and summaries as stable JSON, numbers for the run record in
/// `metrics.json`.
enum ArtifactFiles {
    /// A table from a needed task's artifact (`input` = the task, `file` inside it), or from a
    /// project file when `input` is nil.
    static func table(_ context: TaskContext, input: String?, file: String, types: [String: CSV.ColumnType] = [:],
                      otherColumns: CSV.ColumnType? = nil) throws -> Table {
        let path = try self.path(context, input: input, file: file)
        return try readCSV(path, types: types, otherColumns: otherColumns)
    }

    /// `table` of only the columns in `columns` (nil: every column; see `CSV.read(_:columns:)`), and
    /// every column name of the file's header (for errors about a column it lacks).
    static func table(_ context: TaskContext, input: String?, file: String, columns: Set<String>?, types: [String: CSV.ColumnType] = [:],
                      otherColumns: CSV.ColumnType? = nil) throws -> (table: Table, header: [String]) {
        let path = try self.path(context, input: input, file: file)
        guard let columns else {
            let t = try readCSV(path, types: types, otherColumns: otherColumns)
            return (t, t.names)
        }
        return try CSV.read(path, columns: columns, types: types, otherColumns: otherColumns)
    }

    /// `CSV.read`: the file mapped, not copied (no file-sized array at the peak).
    static func readCSV(_ path: String, types: [String: CSV.ColumnType] = [:], otherColumns: CSV.ColumnType? = nil) throws -> Table {
        try CSV.read(path, types: types, otherColumns: otherColumns)
    }

    static func path(_ context: TaskContext, input: String?, file: String) throws -> String {
        let path = try input.map { try context.input($0) + "/" + file } ?? context.projectRoot + "/" + file
        guard FileSystem.exists(path) else {
            throw KindError(input.map { "input '\($0)' has no file '\(file)'" } ?? "no file '\(file)' in the project")
        }
        return path
    }

    /// The only needed task, when the kind takes one input and `input` is not given.
    static func soleInput(_ context: TaskContext, _ input: String?, kind: String) throws -> String {
        if let input { return input }
        guard context.inputs.count == 1 else {
            throw KindError("\(kind) reads one needed task's table; set param 'input' to one of: \(context.inputs.map(\.name).joined(separator: ", "))")
        }
        return context.inputs[0].name
    }

    static func write(_ table: Table, _ context: TaskContext, _ name: String) throws {
        // Streamed: CSV.write holds the encoded file and a copy of it (two output sizes).
        try CSVRowWriter.write(table, to: context.output + "/" + name)
        context.log("wrote \(name): \(table.rowCount) rows x \(table.columnCount) columns")
    }

    /// Encodable values as pretty JSON with sorted keys (stable bytes).
    static func writeJSON<T: Encodable>(_ value: T, _ context: TaskContext, _ name: String) throws {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try e.encode(value).write(to: URL(fileURLWithPath: context.output + "/" + name))
    }

    static func readJSON<T: Decodable>(_ type: T.Type, _ path: String) throws -> T {
        guard let data = FileManager.default.contents(atPath: path) else { throw KindError("cannot read \(path)") }
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do { return try d.decode(type, from: data) } catch { throw KindError("\(path) is not a valid \(type) file: \(error)") }
    }

    /// Numbers for the run record (nested keys flatten to `a.b`; NaN and infinities are left out).
    static func writeMetrics(_ metrics: [String: Double], _ context: TaskContext) throws {
        let json = JSON.object(metrics.filter { $0.value.isFinite }.mapValues { JSON.number($0) })
        try FileSystem.writeAtomically(context.output + "/metrics.json", json.encoded(pretty: true) + "\n")
    }

    /// A `yyyy-mm-dd` param as a UTC day number.
    static func day(_ text: String, param: String) throws -> Int {
        guard let d = CivilDate.parse(text) else { throw KindError("param '\(param)' must be a date like 1997-09-30, got '\(text)'") }
        return d
    }

    /// Names a param copies into a written table as columns, beside the columns the kind writes
    /// itself: each may appear once, and not as one of those (a table cannot hold two columns of
    /// one name; it tripped a precondition at run time).
    static func columnNameProblems(_ names: [String], param: String, file: String, written: [String]) -> [ParamProblem] {
        var out: [ParamProblem] = []
        var seen = Set<String>()
        for name in names {
            if written.contains(name) {
                out.append(ParamProblem(param: param, "param '\(param)' may not name '\(name)': \(file) has its own '\(name)' column"))
            } else if !seen.insert(name).inserted {
                out.append(ParamProblem(param: param, "param '\(param)' names '\(name)' twice"))
            }
        }
        return out
    }

    /// Rows read, kept and skipped per reason, as metrics of an ingest kind.
    static func ingestMetrics(_ s: TransactionIngest.Summary) -> [String: Double] {
        var m: [String: Double] = ["rows_read": Double(s.rowsRead), "rows_kept": Double(s.rowsKept)]
        for (reason, n) in s.skipped { m["skipped." + reason.replacingOccurrences(of: " ", with: "_")] = Double(n) }
        return m
    }
}
