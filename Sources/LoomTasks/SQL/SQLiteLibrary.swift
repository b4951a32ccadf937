import Foundation
import LoomCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The SQLite C library, loaded when a `sql` task first needs it (`dlopen`), not linked.
///
/// Why not linked: linking needs `sqlite3.h` and `libsqlite3.so` at build time (Debian's
/// `libsqlite3-dev`, which GRDB.swift needs too on Linux), and a fresh machine with only Swift
/// installed has the runtime library (`libsqlite3.so.0`, a dependency of the Swift toolchain on
/// Linux, and part of macOS) but not those. Loading it at run time keeps `swift build` working
/// there, adds nothing to a clean build, and costs `loom` nothing at start-up unless a DAG uses
/// `sql` (measured in bench/README.md, "SQLite").
///
/// Only the functions below are used; each is part of SQLite's stable C interface
/// (https://www.sqlite.org/c3ref/funclist.html). `sqlite3_error_offset` (3.38, 2022) is optional:
/// older libraries give errors without a position.
struct SQLiteLibrary: @unchecked Sendable {   // immutable after init: C function pointers only
    typealias Authorizer = @convention(c) (UnsafeMutableRawPointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?,
                                           UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Int32

    let version: String
    let open: @convention(c) (UnsafePointer<CChar>?, UnsafeMutablePointer<OpaquePointer?>?, Int32, UnsafePointer<CChar>?) -> Int32
    let close: @convention(c) (OpaquePointer?) -> Int32
    let errmsg: @convention(c) (OpaquePointer?) -> UnsafePointer<CChar>?
    let errorOffset: (@convention(c) (OpaquePointer?) -> Int32)?
    let prepare: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, Int32, UnsafeMutablePointer<OpaquePointer?>?,
                                 UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> Int32
    let step: @convention(c) (OpaquePointer?) -> Int32
    let reset: @convention(c) (OpaquePointer?) -> Int32
    let finalize: @convention(c) (OpaquePointer?) -> Int32
    let readonly: @convention(c) (OpaquePointer?) -> Int32
    // The destructor argument is passed as an integer: -1 is SQLITE_TRANSIENT (SQLite copies the text).
    let bindText: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, Int32, Int) -> Int32
    let bindInt64: @convention(c) (OpaquePointer?, Int32, Int64) -> Int32
    let bindDouble: @convention(c) (OpaquePointer?, Int32, Double) -> Int32
    let bindNull: @convention(c) (OpaquePointer?, Int32) -> Int32
    let columnCount: @convention(c) (OpaquePointer?) -> Int32
    let columnName: @convention(c) (OpaquePointer?, Int32) -> UnsafePointer<CChar>?
    let columnType: @convention(c) (OpaquePointer?, Int32) -> Int32
    let columnInt64: @convention(c) (OpaquePointer?, Int32) -> Int64
    let columnDouble: @convention(c) (OpaquePointer?, Int32) -> Double
    let columnText: @convention(c) (OpaquePointer?, Int32) -> UnsafePointer<UInt8>?
    let columnBytes: @convention(c) (OpaquePointer?, Int32) -> Int32
    let setAuthorizer: @convention(c) (OpaquePointer?, Authorizer?, UnsafeMutableRawPointer?) -> Int32
    let limit: @convention(c) (OpaquePointer?, Int32, Int32) -> Int32

    // Result and type codes (https://www.sqlite.org/rescode.html, c3ref/c_blob.html).
    static let ok: Int32 = 0, row: Int32 = 100, done: Int32 = 101
    static let integer: Int32 = 1, float: Int32 = 2, text: Int32 = 3, blob: Int32 = 4, null: Int32 = 5

    /// The library, loaded once per process, or why it cannot be.
    static let shared: Result<SQLiteLibrary, KindError> = load()

    private static func load() -> Result<SQLiteLibrary, KindError> {
        #if os(macOS)
        let names = ["/usr/lib/libsqlite3.dylib", "libsqlite3.dylib"]
        #else
        let names = ["libsqlite3.so.0", "libsqlite3.so"]
        #endif
        guard let handle = names.lazy.compactMap({ dlopen($0, RTLD_NOW | RTLD_LOCAL) }).first else {
            return .failure(KindError("cannot load SQLite (\(names.joined(separator: " or "))): \(dlerror().map { String(cString: $0) } ?? "not found")"))
        }
        do { return .success(try SQLiteLibrary(handle)) } catch let e as KindError { return .failure(e) } catch { return .failure(KindError("\(error)")) }
    }

    private init(_ h: UnsafeMutableRawPointer) throws {
        func f<T>(_ name: String, _: T.Type = T.self) throws -> T {
            guard let p = dlsym(h, name) else { throw KindError("the SQLite library has no \(name)") }
            return unsafeBitCast(p, to: T.self)
        }
        let libversion: @convention(c) () -> UnsafePointer<CChar>? = try f("sqlite3_libversion")
        version = libversion().map { String(cString: $0) } ?? "?"
        open = try f("sqlite3_open_v2")
        close = try f("sqlite3_close_v2")
        errmsg = try f("sqlite3_errmsg")
        errorOffset = try? f("sqlite3_error_offset")
        prepare = try f("sqlite3_prepare_v2")
        step = try f("sqlite3_step")
        reset = try f("sqlite3_reset")
        finalize = try f("sqlite3_finalize")
        readonly = try f("sqlite3_stmt_readonly")
        bindText = try f("sqlite3_bind_text")
        bindInt64 = try f("sqlite3_bind_int64")
        bindDouble = try f("sqlite3_bind_double")
        bindNull = try f("sqlite3_bind_null")
        columnCount = try f("sqlite3_column_count")
        columnName = try f("sqlite3_column_name")
        columnType = try f("sqlite3_column_type")
        columnInt64 = try f("sqlite3_column_int64")
        columnDouble = try f("sqlite3_column_double")
        columnText = try f("sqlite3_column_text")
        columnBytes = try f("sqlite3_column_bytes")
        setAuthorizer = try f("sqlite3_set_authorizer")
        limit = try f("sqlite3_limit")
    }
}
