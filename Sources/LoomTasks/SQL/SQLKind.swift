import Foundation
import LoomAnalytics
import LoomCore

/// `sql`: one read-only SQLite query over tables from needed tasks' artifacts and declared
/// project files, its result written as a Loom table.
///
/// Tables: each needed task is a table named after the task, holding the only `.csv` file at the
/// top of its artifact; each declared file (`files:`) is a table named after its file name without
/// the extension. `tables: {NAME: SOURCE}` names a table itself, SOURCE being a needed task (its
/// only CSV), `TASK/FILE` (any CSV in its artifact; the way to read a task that writes several),
/// or a declared file; a need or file named there is not also exposed under its own name. Table
/// names are compared as SQLite compares them (case-insensitively): two sources with one name
/// fail the task. A name that is not a bare identifier is written in double quotes in the query
/// (`"shop-2019"`).
///
/// Columns: every column of every table is INTEGER, REAL or TEXT, inferred from its values (see
/// `SQLColumnType.infer`) unless `types` declares it; empty cells are NULL.
///
/// Row order: the result's order is made total, so the same tables give the same bytes whatever
/// SQLite's version or plan: the query's top-level ORDER BY is extended by every result column,
/// left to right, and a query without one is ordered by every result column (see
/// `SQLText.totallyOrdered`).
///
/// Writes (format version 1):
/// - `result.csv`: the result in Loom's CSV format; integers print exactly, reals as CSV prints
///   numbers, NULL as an empty field. Column names must be distinct and non-empty (`AS` them).
/// - `sql.json`: `format` ("loom-sql 1"), `query`, `tables` (`name`, `source`, `rows`,
///   `columns` with their types), `rows`, `columns` (what the report reads).
/// - metrics: `rows`, `columns`, `tables`.
///
/// Errors point into the query: at load time (`validate`) through `ParamProblem.place`, at run time
/// through the query's `TextLayout` in the DAG (`TaskContext.layouts`), as `file:line:col`.
public enum SQLKind: TaskKind {
    public struct Params: Decodable, Sendable {
        public var query: String
        public var tables: [String: String]
        public var types: [String: [String: String]]
        public var maxRows: Int
        enum CodingKeys: String, CodingKey { case query, tables, types, maxRows = "max_rows" }
    }

    public static let name = "sql"
    public static let version = 1
    public static let summary = "One read-only SQLite query over needed tasks' tables (each named after its task) and declared files (named after the file) -> result.csv, rows in a total order."
    public static let params = [
        ParamSpec("query", .string, .required, "one SELECT (or WITH ... SELECT, VALUES) statement; its text is part of the key; without a top-level ORDER BY the rows are sorted by every column, and ORDER BY is extended by every column to break ties"),
        ParamSpec("tables", .map, .value(.map([:])), "table name -> source: a needed task (its only CSV), TASK/FILE (a CSV in its artifact) or a declared file; unnamed needs and files are tables named after the task or the file's name without extension"),
        ParamSpec("types", .map, .value(.map([:])), "table -> {column: integer, real or text}: declared column types (others are inferred: integer when every value is, then real, else text)"),
        ParamSpec("max_rows", .int, 10_000_000, "the task fails when the result has more rows than this", bounds: .atLeast(1)),
    ]

    public static func validate(_ p: Params) -> [ParamProblem] {
        var out: [ParamProblem] = []
        for (name, source) in p.tables.sorted(by: { $0.key < $1.key }) {
            if name.isEmpty { out.append(ParamProblem(param: "tables", "param 'tables' has an empty table name")) }
            if name.lowercased().hasPrefix("sqlite_") {
                out.append(ParamProblem(param: "tables", "param 'tables' names a table '\(name)': names starting with sqlite_ are SQLite's own"))
            }
            if source.isEmpty || source.hasPrefix("/") || source.split(separator: "/").contains("..") {
                out.append(ParamProblem(param: "tables", "param 'tables' gives table '\(name)' the source '\(source)': expected a needed task, TASK/FILE inside its artifact, or a declared file (no '..', not absolute)"))
            }
        }
        for (table, columns) in p.types.sorted(by: { $0.key < $1.key }) {
            for (column, type) in columns.sorted(by: { $0.key < $1.key }) where SQLColumnType(rawValue: type) == nil {
                out.append(ParamProblem(param: "types", "param 'types' gives \(table).\(column) the type '\(type)': expected integer, real or text",
                                        notes: Suggestion.notes(for: type, in: SQLColumnType.allCases.map(\.rawValue))))
            }
        }
        out += queryProblems(p.query)
        return out
    }

    /// What can be said of the query before its tables exist: one statement, no clock, and what
    /// SQLite's compiler finds in an empty database short of missing tables and columns (syntax
    /// errors, statements that write, unknown functions), each at its place in the query.
    static func queryProblems(_ query: String) -> [ParamProblem] {
        let text = SQLText(query)
        func place(_ offset: Int, _ length: Int = 1) -> ParamProblem.Place {
            let p = text.position(ofByte: offset)
            return ParamProblem.Place(line: p.line, column: p.column, length: length)
        }
        if text.tokens.isEmpty { return [ParamProblem(param: "query", "param 'query' is empty")] }
        if text.hasSecondStatement, let semi = text.tokens.first(where: { $0.kind == .symbol && $0.text == ";" }) {
            return [ParamProblem(param: "query", "param 'query' holds more than one statement", at: place(semi.start))]
        }
        if let now = text.clockReading {
            return [ParamProblem(param: "query", "param 'query' reads the clock ('now'): the result would change from run to run, and a task's output must depend on its inputs only",
                                 notes: ["pass the date as a DAG param instead: '{{params.today}}'"], at: place(now.start, now.end - now.start))]
        }
        // Without SQLite the check waits for the run, which reports the missing library.
        guard let db = try? SQLDatabase() else { return [] }
        do { _ = try db.compile(query) } catch let e as SQLError {
            let unknownYet = ["no such table", "no such column", "ambiguous column name"].contains { e.message.hasPrefix($0) }
            if !unknownYet {
                return [ParamProblem(param: "query", "param 'query': \(e.message)", at: e.offset.map { place($0) } ?? place(0))]
            }
        } catch {
            return [ParamProblem(param: "query", "param 'query': \(error)")]
        }
        return []
    }

    public static func run(_ p: Params, context: TaskContext) throws {
        let db = try SQLDatabase()
        let sources = try tables(p, context)
        var loaded: [Summary.Table] = []
        for s in sources {
            let rows = try CSV.rows(try FileSystem.readBytes(s.path), file: s.display)
            let declared = p.types[s.name] ?? [:]
            for c in declared.keys.sorted() where !rows.header.contains(c) {
                throw KindError("param 'types' declares column '\(c)' of table '\(s.name)', which \(s.display) does not have; columns: \(rows.header.joined(separator: ", "))")
            }
            let columns = rows.header.enumerated().map { j, name in (name: name, type: declared[name].flatMap(SQLColumnType.init) ?? SQLColumnType.infer(rows.columns[j])) }
            do { try db.create(s.name, columns: columns, values: rows.columns) } catch let e as KindError {
                throw KindError("cannot load \(s.display) as table '\(s.name)': \(e.description)"
                                + (Set(rows.header.map { $0.lowercased() }).count < rows.header.count ? " (SQLite's column names ignore case: rename one)" : ""))
            }
            loaded.append(Summary.Table(name: s.name, source: s.source, rows: rows.count, columns: columns.map { [$0.name, $0.type.rawValue] }))
            context.log("table \(s.name): \(s.display), \(rows.count) rows, columns \(columns.map { "\($0.name) \($0.type.rawValue)" }.joined(separator: ", "))")
        }
        let result = try query(p, db: db, tables: sources.map(\.name), layout: context.layouts["query"])
        try check(result.names)
        try ArtifactFiles.write(Table(zip(result.names, result.columns.map { Column.text($0) }).map { ($0, $1) }), context, "result.csv")
        try ArtifactFiles.writeJSON(Summary(query: p.query, tables: loaded, rows: result.rowCount, columns: result.names), context, "sql.json")
        try ArtifactFiles.writeMetrics(["rows": Double(result.rowCount), "columns": Double(result.names.count), "tables": Double(loaded.count)], context)
    }

    /// Compiles the query as written (so that errors point into the text the user wrote: at
    /// `file:line:col` in the DAG when `layout` places it there, else at `query:line:col`), then
    /// runs it totally ordered.
    static func query(_ p: Params, db: SQLDatabase, tables: [String], layout: TextLayout? = nil) throws -> SQLDatabase.Result {
        let text = SQLText(p.query)
        do {
            let n = try db.compile(p.query)
            return try db.run(text.totallyOrdered(columns: n), maxRows: p.maxRows)
        } catch let e as SQLError {
            var message = "query"
            if let o = e.offset {
                let at = text.position(ofByte: o)
                message = layout?.location(line: at.line, column: at.column).map(\.description) ?? "query:\(at.line):\(at.column)"
            }
            message += ": error: \(e.message)"
            if let o = e.offset { message += "\n" + text.excerpt(atByte: o) }
            if e.message.hasPrefix("no such table: ") {
                let missing = String(e.message.dropFirst("no such table: ".count))
                message += "\nnote: tables: \(tables.isEmpty ? "none (add needs or files)" : tables.joined(separator: ", "))"
                message += Suggestion.notes(for: missing, in: tables).map { "\nnote: " + $0 }.joined()
            }
            throw KindError(message)
        }
    }

    /// The result's column names must make a Loom table: distinct and non-empty.
    static func check(_ names: [String]) throws {
        var seen = Set<String>()
        for n in names {
            if n.isEmpty { throw KindError("the query's result has a column without a name: name it with AS") }
            if !seen.insert(n).inserted { throw KindError("the query's result has two columns named '\(n)': a Loom table names each column once (rename one with AS)") }
        }
    }

    /// One table to load: its name, where it comes from (as written in sql.json), its path, and how errors name it.
    struct Source { var name, source, path, display: String }

    static func tables(_ p: Params, _ context: TaskContext) throws -> [Source] {
        let needs = context.inputs.map(\.name)
        var out: [Source] = []
        var named = Set<String>()   // sources that `tables` names
        for (name, source) in p.tables.sorted(by: { $0.key < $1.key }) {
            let first = String(source.split(separator: "/", maxSplits: 1).first ?? "")
            if needs.contains(source) {
                out.append(try onlyCSV(of: source, context, as: name))
            } else if needs.contains(first) {
                let file = String(source.dropFirst(first.count + 1))
                let path = try ArtifactFiles.path(context, input: first, file: file)
                out.append(Source(name: name, source: source, path: path, display: source))
            } else if context.files.contains(source) {
                out.append(Source(name: name, source: source, path: context.projectRoot + "/" + source, display: source))
            } else {
                throw KindError("param 'tables' gives table '\(name)' the source '\(source)', which is neither a needed task (\(needs.joined(separator: ", "))), a file in one's artifact, nor a declared file (\(context.files.joined(separator: ", ")))")
            }
            named.insert(needs.contains(first) ? first : source)
        }
        for need in needs where !named.contains(need) { out.append(try onlyCSV(of: need, context, as: need)) }
        for file in context.files where !named.contains(file) {
            let base = (file as NSString).lastPathComponent
            let stem = base.contains(".") ? String(base[..<base.lastIndex(of: ".")!]) : base
            out.append(Source(name: stem, source: file, path: context.projectRoot + "/" + file, display: file))
        }
        // SQLite compares table names case-insensitively.
        var byName: [String: Source] = [:]
        for s in out {
            if let other = byName[s.name.lowercased()] {
                throw KindError("two tables named '\(s.name)': \(other.display) and \(s.display); name them apart with param 'tables' (e.g. tables: {\(s.name)_2: \(s.source)})")
            }
            byName[s.name.lowercased()] = s
        }
        return out
    }

    /// A needed task's only CSV file at the top of its artifact.
    static func onlyCSV(of need: String, _ context: TaskContext, as name: String) throws -> Source {
        let dir = try context.input(need)
        let csvs = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".csv") }.sorted()
        guard csvs.count == 1 else {
            throw KindError(csvs.isEmpty ? "input '\(need)' has no CSV file to read as table '\(name)'"
                            : "input '\(need)' has several CSV files (\(csvs.joined(separator: ", "))): name the one to read with param 'tables', e.g. tables: {\(name): \(need)/\(csvs[0])}")
        }
        return Source(name: name, source: need, path: dir + "/" + csvs[0], display: "\(need)/\(csvs[0])")
    }

    /// sql.json, format version 1.
    struct Summary: Codable {
        var format = "loom-sql 1"
        var query: String
        var tables: [Table]
        var rows: Int
        var columns: [String]
        struct Table: Codable { var name: String; var source: String; var rows: Int; var columns: [[String]] }
    }
}
