import Foundation

/// Writes a CSV file row by row, holding at most `bufferSize` bytes, in exactly the bytes
/// `CSV.encode` gives for the same table (same quoting, same number format: `CSV`'s format
/// version 1). For tables too large to build in memory first (the generator's event log).
///
/// Fields are given in column order; `endRow()` ends a row. The caller gives each row as many
/// fields as the header has (checked by a precondition: a bug, not user input).
public final class CSVRowWriter {
    let path: String
    let handle: FileHandle
    let columns: Int
    var buffer: [UInt8] = []
    var field = 0
    public private(set) var rows = 0
    /// Bytes kept before a write to the file.
    public static let bufferSize = 1 << 20

    public init(path: String, header: [String]) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
            throw AnalyticsError.invalidInput(what: "cannot write \(path)", expected: "a writable path")
        }
        self.path = path
        handle = h
        columns = header.count
        buffer.reserveCapacity(Self.bufferSize + 4096)
        for n in header { text(n) }
        endRow()
        rows = 0
    }

    func separate() {
        if field > 0 { buffer.append(0x2C) }
        field += 1
    }

    /// A text field (quoted when `CSV.encode` would quote it).
    public func text(_ s: String) {
        separate()
        CSV.appendField(s, to: &buffer)
    }

    /// A number field, formatted by `CSV.format`.
    public func number(_ d: Double) {
        separate()
        buffer.append(contentsOf: CSV.format(d).utf8)
    }

    public func endRow() {
        precondition(field == columns, "CSVRowWriter: a row of \(field) fields, expected \(columns)")
        buffer.append(0x0A)
        field = 0
        rows += 1
        if buffer.count >= Self.bufferSize { try? flush() }
    }

    /// `count` whole rows already encoded as `text` and `number` encode them, each ending in LF
    /// (`EventScan`'s parts), written after what is buffered; a failed write is thrown by `close`.
    func encodedRows(_ bytes: [UInt8], count: Int) {
        precondition(field == 0, "CSVRowWriter: encoded rows inside a row")
        if buffer.count + bytes.count <= Self.bufferSize {
            buffer.append(contentsOf: bytes)
        } else {
            try? flush()
            do { try handle.write(contentsOf: bytes) } catch { failed = true }
        }
        rows += count
    }

    var failed = false

    func flush() throws {
        guard !buffer.isEmpty else { return }
        do { try handle.write(contentsOf: buffer) } catch {
            failed = true
            buffer.removeAll(keepingCapacity: true)
            throw AnalyticsError.invalidInput(what: "cannot write \(path)", expected: "a writable path with free space")
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes what is buffered and closes the file; throws if any write failed.
    public func close() throws {
        try flush()
        try? handle.close()
        if failed { throw AnalyticsError.invalidInput(what: "cannot write \(path)", expected: "a writable path with free space") }
    }
}

extension CSVRowWriter {
    /// Writes a table (or the rows at `rows`, in that order) as `CSV.encode` would, a buffer at a
    /// time: neither the encoded file nor a copy of the selected rows is held in memory.
    public static func write(_ t: Table, rows: [Int]? = nil, to path: String) throws {
        let w = try CSVRowWriter(path: path, header: t.names)
        func row(_ r: Int) {
            for c in t.columns {
                switch c {
                case .number(let v): w.number(v[r])
                case .text(let v): w.text(v[r])
                }
            }
            w.endRow()
        }
        if let rows { for r in rows { row(r) } } else { for r in 0..<t.rowCount { row(r) } }
        try w.close()
    }
}
