import Foundation

/// The fast path of `CSV.parse` for files without quotes: fields are read in place (numbers by
/// `DecimalParser`, no String per numeric field), in chunks of `chunkBytes` parsed on all cores;
/// a first pass counts each chunk's records, so each chunk writes its numbers straight into its
/// rows of the table's columns.
///
/// Without a `"` in the file every LF ends a record, so a chunk can start after any LF: chunk k
/// starts after the first LF at or past `k x chunkBytes` (a size fixed here, never derived from the
/// thread count), and the merged table is the same for any number of threads.
///
/// It returns nil, and the caller reads serially, when the file has a quote, a blank or duplicate
/// header, or anything the serial reader reports as an error (a row with the wrong number of
/// fields, a non-number in a number column): that reader names the file, line and column.
/// A differential test holds its tables equal to the serial reader's over random files.
///
/// With `wanted`, the other columns are skipped: their fields are only passed over (no number, no
/// String, no type check), and the table holds the wanted columns in the file's order.
enum CSVChunkedReader {
    /// Bytes per chunk (about 100,000 fields of a numeric table).
    static let chunkBytes = 1 << 20

    /// How a column's fields are read in a pass.
    enum Mode { case skip, number, infer, text }

    /// One chunk's records: how many (the count pass), then its text columns and what its number
    /// columns met (the parse pass; numbers go straight into the table's columns).
    struct Chunk {
        var texts: [[String]] = []
        var notNumbers: [Bool] = []   // an `.infer` column met a field that is not a number
        var rows = 0
        var valid = true              // false: a record the serial reader must report
    }

    /// The table, or nil when the serial reader must read the file. `chunkBytes` is a parameter for
    /// tests only (small chunks put boundaries everywhere).
    static func parse(_ bytes: [UInt8], types: [String: CSV.ColumnType], otherColumns: CSV.ColumnType?, wanted: Set<String>? = nil,
                      chunkBytes: Int = chunkBytes) -> Table? {
        bytes.withUnsafeBufferPointer { parse($0, types: types, otherColumns: otherColumns, wanted: wanted, chunkBytes: chunkBytes)?.table }
    }

    /// `parse` of bytes anywhere in memory (a mapped file); also every name of the header. With
    /// `pages` (the buffer's, a large mapped file's), each chunk's pages are released after every
    /// pass over it, so that the file is never resident all at once.
    static func parse(_ buffer: UnsafeBufferPointer<UInt8>, types: [String: CSV.ColumnType], otherColumns: CSV.ColumnType?,
                      wanted: Set<String>? = nil, pages: FileBytes.MappedPages? = nil, chunkBytes: Int = chunkBytes) -> (table: Table, header: [String])? {
        guard let base = buffer.baseAddress else { return nil }
        return parse(base, buffer.count, types: types, otherColumns: otherColumns, wanted: wanted, pages: pages, chunkBytes: chunkBytes)
    }

    // Passes over the file, each over the same chunks on all cores: count each chunk's records (and
    // look for quotes), so that every chunk knows the row its first record lands on; parse, writing
    // numbers in place into the table's columns (no per-chunk arrays to merge); read again as text
    // the inferred columns that turned out not to be numeric.
    private static func parse(_ p: UnsafePointer<UInt8>, _ n: Int, types: [String: CSV.ColumnType], otherColumns: CSV.ColumnType?,
                              wanted: Set<String>?, pages: FileBytes.MappedPages?, chunkBytes: Int) -> (table: Table, header: [String])? {
        let bom = n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF ? 3 : 0
        let headerLF = lineFeed(p, from: bom, to: n)
        let headerEnd = contentEnd(p, from: bom, lineFeed: headerLF, to: n)
        let dataStart = min(headerLF + 1, n)
        guard headerEnd > bom, memchr(p, 0x22, dataStart) == nil else { return nil }
        var names: [String] = []
        var s = bom
        for k in bom...headerEnd where k == headerEnd || p[k] == 0x2C {
            names.append(String(decoding: UnsafeBufferPointer(start: p + s, count: k - s), as: UTF8.self))
            s = k + 1
        }
        guard Set(names).count == names.count else { return nil }
        let modes: [Mode] = names.map { name in
            if let wanted, !wanted.contains(name) { return .skip }
            switch types[name] ?? otherColumns {
            case .number?: return .number
            case .text?: return .text
            case nil: return .infer
            }
        }
        var starts = [dataStart]
        while let last = starts.last, last < n {
            let from = max(last, dataStart + starts.count * chunkBytes - 1)
            starts.append(from >= n ? n : min(lineFeed(p, from: from, to: n) + 1, n))
        }
        guard let counts = countRecords(p, starts: starts, pages: pages) else { return nil }
        var firstRows = [0]
        for c in counts { firstRows.append(firstRows[firstRows.count - 1] + c) }
        let rows = firstRows[firstRows.count - 1]
        let numeric = modes.map { $0 == .number || $0 == .infer }
        var first: [Chunk] = []
        let numbers = withUninitializedColumns(numeric.filter { $0 }.count, rows: rows) { pointers -> Bool in
            var k = 0
            let columns = numeric.map { isNumber -> UnsafeMutablePointer<Double>? in
                guard isNumber else { return nil }
                defer { k += 1 }
                return pointers[k]
            }
            first = read(p, starts: starts, firstRows: firstRows, modes: modes, columns: columns, pages: pages)
            return first.allSatisfy(\.valid) && zip(first, counts).allSatisfy { $0.rows == $1 }
        }
        guard let numbers else { return nil }
        let textual = modes.indices.map { j in modes[j] == .infer && (rows == 0 || first.contains { $0.notNumbers[j] }) }
        var second: [Chunk] = []
        if textual.contains(true) {
            second = read(p, starts: starts, firstRows: firstRows, modes: modes.indices.map { textual[$0] ? .text : .skip }, columns: modes.map { _ in nil },
                          pages: pages)
            guard second.allSatisfy(\.valid) else { return nil }
        }
        var table = Table()
        var k = 0
        for (j, name) in names.enumerated() where modes[j] != .skip {
            if numeric[j] { k += 1 }
            if modes[j] == .text || textual[j] {
                var all: [String] = []
                all.reserveCapacity(rows)
                for c in (modes[j] == .text ? first : second) { all.append(contentsOf: c.texts[j]) }
                table.append(name, .text(all))
            } else {
                table.append(name, .number(numbers[k - 1]))
            }
        }
        return (table, names)
    }

    /// The records of each chunk between consecutive `starts` (lines with content), on all cores;
    /// nil when a chunk has a quote (the serial reader knows quoted fields).
    private static func countRecords(_ p: UnsafePointer<UInt8>, starts: [Int], pages: FileBytes.MappedPages?) -> [Int]? {
        let count = starts.count - 1
        guard count > 0 else { return [] }
        var counts = [Int](repeating: -1, count: count)
        counts.withUnsafeMutableBufferPointer { out in
            // Each iteration writes its own slot only.
            Parallel.perform(iterations: count) { k in
                let from = starts[k], to = starts[k + 1]
                guard memchr(p + from, 0x22, to - from) == nil else { return }
                var records = 0, line = from
                while line < to {
                    let lf = lineFeed(p, from: line, to: to)
                    if contentEnd(p, from: line, lineFeed: lf, to: to) > line { records += 1 }
                    line = lf + 1
                }
                out[k] = records
                pages?.release(from..<to)
            }
        }
        return counts.contains(-1) ? nil : counts
    }

    /// Number columns whose arrays are made one inside another's initialiser (the rest are copied).
    static let nestedColumns = 64

    /// `count` arrays of `rows` Doubles, uninitialised while `fill` writes every element through the
    /// pointers it is given; nil (and the arrays freed) when `fill` returns false. The first
    /// `nestedColumns` arrays are made one inside the other's initialiser, so that all their pointers
    /// are valid at once and the parse writes the table's own storage (no copy); each level costs a
    /// few hundred bytes of stack, so a wider table's further columns are written into buffers and
    /// copied into arrays after (a kind's thread may have a 512 KB stack).
    static func withUninitializedColumns(_ count: Int, rows: Int, _ fill: ([UnsafeMutablePointer<Double>]) -> Bool) -> [[Double]]? {
        let nested = min(count, nestedColumns)
        let spare = (nested..<count).map { _ in UnsafeMutablePointer<Double>.allocate(capacity: max(rows, 1)) }
        defer { for buffer in spare { buffer.deallocate() } }
        var pointers: [UnsafeMutablePointer<Double>] = []
        pointers.reserveCapacity(count)
        var filled = false
        func nest(_ j: Int) -> [[Double]] {
            guard j < nested else { filled = fill(pointers + spare); return [] }
            var rest: [[Double]] = []
            // One element more than needed, so that even an empty column has storage to point at.
            let column = [Double](unsafeUninitializedCapacity: rows + 1) { buffer, initialised in
                pointers.append(buffer.baseAddress!)
                rest = nest(j + 1)
                initialised = filled ? rows : 0   // Double is trivial: nothing to deinitialise either way
            }
            return [column] + rest
        }
        let columns = nest(0)
        guard filled else { return nil }
        return columns + spare.map { Array(UnsafeBufferPointer(start: $0, count: rows)) }
    }

    /// Reads the chunks between consecutive `starts` on all cores (`Parallel`), in chunk order: the
    /// number columns (`columns[j]` non-nil) into rows from `firstRows[k]` on, the rest into chunks.
    private static func read(_ p: UnsafePointer<UInt8>, starts: [Int], firstRows: [Int], modes: [Mode],
                             columns: [UnsafeMutablePointer<Double>?], pages: FileBytes.MappedPages?) -> [Chunk] {
        let count = starts.count - 1
        guard count > 0 else { return [Chunk(texts: modes.map { _ in [] }, notNumbers: modes.map { _ in false })] }
        let out = UnsafeMutablePointer<Chunk>.allocate(capacity: count)
        defer { out.deinitialize(count: count); out.deallocate() }
        // Each iteration initialises its own slot and writes its own rows of the columns only.
        Parallel.perform(iterations: count) { k in
            (out + k).initialize(to: readChunk(p, from: starts[k], to: starts[k + 1], modes: modes, columns: columns, firstRow: firstRows[k],
                                               rows: firstRows[k + 1] - firstRows[k]))
            pages?.release(starts[k]..<starts[k + 1])
        }
        return Array(UnsafeBufferPointer(start: out, count: count))
    }

    /// The records of `p[from..<to]`, which starts a line and ends after an LF or at the file's end,
    /// whose `rows` records (the count pass's) are rows `firstRow...` of the table.
    /// Mirrors the serial reader: CRLF or LF ends a record (a lone CR is data), an empty line is
    /// skipped, a field is the bytes between commas.
    private static func readChunk(_ p: UnsafePointer<UInt8>, from: Int, to: Int, modes: [Mode], columns: [UnsafeMutablePointer<Double>?],
                                  firstRow: Int, rows: Int) -> Chunk {
        let width = modes.count
        var chunk = Chunk(texts: modes.map { m in var a: [String] = []; if m == .text { a.reserveCapacity(rows) }; return a },
                          notNumbers: modes.map { _ in false })
        var line = from
        while line < to {
            let lf = lineFeed(p, from: line, to: to)
            let end = contentEnd(p, from: line, lineFeed: lf, to: to)
            defer { line = lf + 1 }
            if end == line { continue }
            // More records than counted would write past this chunk's rows.
            guard chunk.rows < rows else { chunk.valid = false; return chunk }
            // Fields: j counts them; each ends at a comma or at the line's end.
            var i = line
            for j in 0..<width {
                let start = i
                switch modes[j] {
                case .number, .infer:
                    if chunk.notNumbers[j] { i = fieldEnd(p, from: start, to: end); break }
                    // The field's value and end in one pass (`DecimalParser.scan`); a field it cannot
                    // decide is read from its String. No closure here: one capturing `i` costs a heap
                    // box per field.
                    var value = Double.nan
                    if start < end && p[start] != 0x2C {
                        i = start
                        if let v = DecimalParser.scan(p, &i, end, readable: to), i == end || p[i] == 0x2C {
                            value = v
                        } else {
                            i = fieldEnd(p, from: start, to: end)
                            guard let v = CSV.number(String(decoding: UnsafeBufferPointer(start: p + start, count: i - start), as: UTF8.self)) else {
                                if modes[j] == .number { chunk.valid = false; return chunk }
                                chunk.notNumbers[j] = true
                                break
                            }
                            value = v
                        }
                    }
                    columns[j].unsafelyUnwrapped[firstRow + chunk.rows] = value
                case .text:
                    i = fieldEnd(p, from: start, to: end)
                    chunk.texts[j].append(String(decoding: UnsafeBufferPointer(start: p + start, count: i - start), as: UTF8.self))
                case .skip:
                    i = fieldEnd(p, from: start, to: end)
                }
                // The last field must end the line; every other one must end at a comma.
                if j == width - 1 ? i != end : i == end { chunk.valid = false; return chunk }
                i += 1
            }
            chunk.rows += 1
        }
        return chunk
    }

    /// The first comma in `p[from..<to]`, or `to`.
    @inline(__always)
    private static func fieldEnd(_ p: UnsafePointer<UInt8>, from: Int, to: Int) -> Int {
        var i = from
        while i < to && p[i] != 0x2C { i += 1 }
        return i
    }

    /// The first LF in `p[from..<to]`, or `to`.
    @inline(__always)
    private static func lineFeed(_ p: UnsafePointer<UInt8>, from: Int, to: Int) -> Int {
        guard from < to, let hit = memchr(p + from, 0x0A, to - from) else { return to }
        return p.distance(to: hit.assumingMemoryBound(to: UInt8.self))
    }

    /// Where a line's content ends: before its LF, and before a CR just before that LF (a CR at the
    /// file's end without an LF is data, as in the serial reader).
    @inline(__always)
    private static func contentEnd(_ p: UnsafePointer<UInt8>, from: Int, lineFeed: Int, to: Int) -> Int {
        lineFeed < to && lineFeed > from && p[lineFeed - 1] == 0x0D ? lineFeed - 1 : lineFeed
    }
}
