import Foundation
import LoomAnalytics
import LoomCore

/// An SQLite error: its message and, when SQLite knows it, the byte offset in the query it points at.
struct SQLError: Error, Equatable {
    var message: String
    var offset: Int?
}

/// The SQLite type a table's column is created with (its affinity, https://www.sqlite.org/datatype3.html).
enum SQLColumnType: String, CaseIterable, Sendable {
    case integer, real, text

    /// Integer when every non-empty value is an integer as Loom writes them (no `+`), real when
    /// every one is a number, text otherwise; a number with a leading zero (`007`: an id or a
    /// code) makes the column text, so that it is kept as written.
    static func infer(_ values: [String]) -> SQLColumnType {
        var type = SQLColumnType.integer
        for v in values where !v.isEmpty {
            if type == .integer, isInteger(v) { continue }
            guard CSV.number(v) != nil, !hasLeadingZero(v) else { return .text }
            type = .real
        }
        return type
    }

    /// `007`, `-01.5`: a zero before another digit, which Loom never writes (an id or a code).
    static func hasLeadingZero(_ v: String) -> Bool {
        let u = Array(v.utf8.drop { $0 == 0x2D || $0 == 0x2B })
        return u.count > 1 && u[0] == 0x30 && (0x30...0x39).contains(u[1])
    }

    static func isInteger(_ v: String) -> Bool {
        let digits = v.utf8.first == 0x2D ? v.utf8.dropFirst() : v.utf8[...]
        guard let first = digits.first, digits.allSatisfy({ (0x30...0x39).contains($0) }) else { return false }
        return (first != 0x30 || digits.count == 1) && Int64(v) != nil
    }
}

/// An in-memory SQLite database (nothing on disk; ATTACH refused) holding Loom's tables, and one
/// read-only query over them.
///
/// Containment of a hostile query: the database is `:memory:`; at most zero databases may be
/// attached (`SQLITE_LIMIT_ATTACHED`); while the query is prepared and run an authorizer allows
/// only reading (SELECT, reading columns, recursive CTEs, functions) and denies everything else
/// (ATTACH, PRAGMA, writes, schema changes), and the statement must be read-only
/// (`sqlite3_stmt_readonly`). Functions whose value is not a function of the data (random(),
/// the clock) are denied, so the same tables give the same bytes.
final class SQLDatabase {
    let lib: SQLiteLibrary
    private let db: OpaquePointer

    /// Functions refused in queries: their results vary from run to run.
    static let deniedFunctions: Set<String> = ["random", "randomblob", "current_date", "current_time", "current_timestamp", "changes",
                                              "total_changes", "last_insert_rowid", "load_extension", "fts3_tokenizer"]

    init() throws {
        lib = try SQLiteLibrary.shared.get()
        var handle: OpaquePointer?
        // SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_MEMORY: a private database in memory.
        let rc = lib.open(":memory:", &handle, 0x02 | 0x04 | 0x80, nil)
        guard rc == SQLiteLibrary.ok, let handle else {
            if let handle { _ = lib.close(handle) }
            throw KindError("cannot open an in-memory SQLite database (code \(rc))")
        }
        db = handle
        _ = lib.limit(db, 7, 0)   // SQLITE_LIMIT_ATTACHED
    }

    deinit { _ = lib.close(db) }

    var errorMessage: String { lib.errmsg(db).map { String(cString: $0) } ?? "unknown error" }

    /// Creates table `name` with `columns` (header names and types) and inserts `rows` (one array
    /// of values per column; empty values are NULL), in one transaction.
    func create(_ name: String, columns: [(name: String, type: SQLColumnType)], values: [[String]]) throws {
        let defs = columns.map { "\(Self.quoted($0.name)) \($0.type.rawValue.uppercased())" }.joined(separator: ", ")
        try execute("CREATE TABLE \(Self.quoted(name)) (\(defs))")
        guard let count = values.first?.count, count > 0 else { return }
        try execute("BEGIN")
        let insert = try prepare("INSERT INTO \(Self.quoted(name)) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))")
        defer { _ = lib.finalize(insert) }
        for r in 0..<count {
            for (c, column) in columns.enumerated() {
                let v = values[c][r], slot = Int32(c + 1)
                if v.isEmpty { _ = lib.bindNull(insert, slot); continue }
                switch column.type {
                case .integer where SQLColumnType.isInteger(v): _ = lib.bindInt64(insert, slot, Int64(v)!)
                case .integer, .real:
                    if let d = CSV.number(v) { _ = lib.bindDouble(insert, slot, d) } else { _ = v.withCString { lib.bindText(insert, slot, $0, -1, -1) } }
                case .text: _ = v.withCString { lib.bindText(insert, slot, $0, -1, -1) }
                }
            }
            guard lib.step(insert) == SQLiteLibrary.done else { throw KindError("cannot insert into table '\(name)': \(errorMessage)") }
            _ = lib.reset(insert)
        }
        try execute("COMMIT")
    }

    /// The result of a query: column names, and per column each row's value as Loom writes it
    /// (integers exactly, reals in CSV's number format, NULL as an empty field).
    struct Result {
        var names: [String]
        var columns: [[String]]
        var rowCount: Int { columns.first?.count ?? 0 }
    }

    /// Checks `query` without running it: compiles it under the read-only authorizer.
    /// Returns its result column count.
    func compile(_ query: String) throws -> Int {
        let guardrail = Authorization()
        let stmt = try prepareGuarded(query, guardrail)
        defer { _ = lib.finalize(stmt); _ = lib.setAuthorizer(db, nil, nil) }
        return Int(lib.columnCount(stmt))
    }

    /// Runs one read-only query; fails beyond `maxRows` rows.
    func run(_ query: String, maxRows: Int) throws -> Result {
        let guardrail = Authorization()
        let stmt = try prepareGuarded(query, guardrail)
        defer { _ = lib.finalize(stmt); _ = lib.setAuthorizer(db, nil, nil) }
        let n = Int(lib.columnCount(stmt))
        var result = Result(names: (0..<n).map { lib.columnName(stmt, Int32($0)).map { String(cString: $0) } ?? "" },
                            columns: Array(repeating: [], count: n))
        // One step per row; each cell is formatted as it is read (SQLite's storage class per value).
        while true {
            let rc = lib.step(stmt)
            if rc == SQLiteLibrary.done { break }
            guard rc == SQLiteLibrary.row else { throw SQLError(message: errorMessage, offset: nil) }
            guard result.rowCount < maxRows else {
                throw KindError("the query returns more than \(maxRows) rows (param 'max_rows'); aggregate, filter or LIMIT it, or raise max_rows")
            }
            for c in 0..<n {
                let i = Int32(c)
                switch lib.columnType(stmt, i) {
                case SQLiteLibrary.null: result.columns[c].append("")
                case SQLiteLibrary.integer: result.columns[c].append(String(lib.columnInt64(stmt, i)))
                case SQLiteLibrary.float: result.columns[c].append(CSV.format(lib.columnDouble(stmt, i)))
                case SQLiteLibrary.text:
                    let p = lib.columnText(stmt, i), len = Int(lib.columnBytes(stmt, i))
                    result.columns[c].append(p.map { String(decoding: UnsafeBufferPointer(start: $0, count: len), as: UTF8.self) } ?? "")
                default:
                    throw KindError("result column '\(result.names[c])' holds a BLOB in row \(result.rowCount + 1): Loom's tables hold numbers and text (CAST it, or hex() it)")
                }
            }
        }
        return result
    }

    // MARK: - Internals

    /// What the authorizer refused, for the error message (SQLite only says "not authorized").
    final class Authorization {
        /// Refusals in the order SQLite asked (it stops at the first).
        var refusals: [String] = []
        var denied: String? { refusals.first }
    }

    private func prepareGuarded(_ query: String, _ auth: Authorization) throws -> OpaquePointer {
        _ = lib.setAuthorizer(db, { user, action, a, b, _, _ in
            let auth = Unmanaged<Authorization>.fromOpaque(user!).takeUnretainedValue()
            let arg1 = a.map { String(cString: $0) }, arg2 = b.map { String(cString: $0) }
            switch action {
            case 20, 21, 33: return 0                       // SQLITE_READ, SQLITE_SELECT, SQLITE_RECURSIVE
            case 31:                                        // SQLITE_FUNCTION: arg2 is the function's name
                let name = (arg2 ?? "").lowercased()
                guard SQLDatabase.deniedFunctions.contains(name) else { return 0 }
                auth.refusals.append("function \(name)() is not allowed: its value changes from run to run, and a task's output must depend on its inputs only")
                return 1
            default:
                // CREATE, DROP and ALTER first ask to write SQLite's own schema table.
                if let table = arg1, table.hasPrefix("sqlite_") {
                    auth.refusals.append("changing the schema (CREATE, DROP, ALTER) is not allowed: a sql task only reads its tables")
                } else {
                    auth.refusals.append(SQLDatabase.actionNames[action].map { "\($0) is not allowed: a sql task only reads its tables" + (arg1.map { " (\($0))" } ?? "") }
                                         ?? "statement is not allowed (SQLite authorizer action \(action)): a sql task only reads its tables")
                }
                return 1                                    // SQLITE_DENY
            }
        }, Unmanaged.passUnretained(auth).toOpaque())
        var stmt: OpaquePointer?
        var tail: UnsafePointer<CChar>?
        let bytes = Array(query.utf8CString)
        let rc = bytes.withUnsafeBufferPointer { buf in lib.prepare(db, buf.baseAddress, Int32(buf.count - 1), &stmt, &tail) }
        guard rc == SQLiteLibrary.ok, let stmt else {
            let offset = lib.errorOffset.map { Int($0(db)) }.flatMap { $0 >= 0 ? $0 : nil }
            let message = auth.denied ?? errorMessage
            _ = lib.setAuthorizer(db, nil, nil)
            throw SQLError(message: stmt == nil && rc == SQLiteLibrary.ok ? "the query is empty" : message, offset: offset)
        }
        guard lib.readonly(stmt) != 0 else {
            _ = lib.finalize(stmt)
            _ = lib.setAuthorizer(db, nil, nil)
            throw SQLError(message: "the query must only read (SELECT, WITH ... SELECT, VALUES): a sql task writes nothing but its result", offset: 0)
        }
        return stmt
    }

    /// Names of authorizer actions (https://www.sqlite.org/c3ref/c_alter_table.html) for messages.
    static let actionNames: [Int32: String] = [
        1: "CREATE INDEX", 2: "CREATE TABLE", 3: "CREATE TEMP INDEX", 4: "CREATE TEMP TABLE", 5: "CREATE TEMP TRIGGER", 6: "CREATE TEMP VIEW",
        7: "CREATE TRIGGER", 8: "CREATE VIEW", 9: "DELETE", 10: "DROP INDEX", 11: "DROP TABLE", 12: "DROP TEMP INDEX", 13: "DROP TEMP TABLE",
        14: "DROP TEMP TRIGGER", 15: "DROP TEMP VIEW", 16: "DROP TRIGGER", 17: "DROP VIEW", 18: "INSERT", 19: "PRAGMA", 22: "BEGIN/COMMIT",
        23: "UPDATE", 24: "ATTACH", 25: "DETACH", 26: "ALTER TABLE", 27: "REINDEX", 28: "ANALYZE", 29: "CREATE VIRTUAL TABLE",
        30: "DROP VIRTUAL TABLE", 32: "SAVEPOINT",
    ]

    private func execute(_ sql: String) throws {
        let stmt = try prepare(sql)
        defer { _ = lib.finalize(stmt) }
        guard lib.step(stmt) == SQLiteLibrary.done else { throw KindError("SQLite: \(errorMessage)") }
    }

    private func prepare(_ sql: String) throws -> OpaquePointer {
        var stmt: OpaquePointer?
        guard lib.prepare(db, sql, -1, &stmt, nil) == SQLiteLibrary.ok, let stmt else { throw KindError("SQLite: \(errorMessage)") }
        return stmt
    }

    /// An SQL identifier quoted: "..." with inner quotes doubled.
    static func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
}
