import Foundation

/// The fast path of `CSV.parse` for files without quotes: fields are read in place (numbers by
/// `DecimalParser`, no String per numeric field), in chunks of `chunkBytes` parsed on all cores,
/// merged in chunk order.
///
/// Without a `"` in the file every LF ends a record, so a chunk can start after any LF: chunk k
/// starts after the first LF at or past `k x chunkBytes` (a size fixed here, never derived from the
/// thread count), and the merged table is the same for any number of threads.
///
/// It returns nil, and the caller reads serially, when the file has a quote, a blank or duplicate
/// header, or anything the serial reader reports as an error (a row with the wrong number of
/// fields, a non-number in a number column): that reader names the file, line and column.
/// A differential test holds its tables equal to the serial reader's over random files.
enum CSVChunkedReader {
    /// Bytes per chunk (about 100,000 fields of a numeric table).
    static let chunkBytes = 1 << 20

    /// How a column's fields are read in a pass.
    enum Mode { case skip, number, infer, text }

    /// One chunk's columns: numbers for `.number`/`.infer` columns, strings for `.text` ones.
    struct Chunk {
        var numbers: [[Double]]
        var texts: [[String]]
        var notNumbers: [Bool]   // an `.infer` column met a field that is not a number
        var rows = 0
        var valid = true         // false: a record the serial reader must report
    }

    /// The table, or nil when the serial reader must read the file. `chunkBytes` is a parameter for
    /// tests only (small chunks put boundaries everywhere).
    static func parse(_ bytes: [UInt8], types: [String: CSV.ColumnType], otherColumns: CSV.ColumnType?, chunkBytes: Int = chunkBytes) -> Table? {
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress, memchr(base, 0x22, buffer.count) == nil else { return nil }
            return parse(base, buffer.count, types: types, otherColumns: otherColumns, chunkBytes: chunkBytes)
        }
    }

    private static func parse(_ p: UnsafePointer<UInt8>, _ n: Int, types: [String: CSV.ColumnType], otherColumns: CSV.ColumnType?,
                              chunkBytes: Int) -> Table? {
        let bom = n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF ? 3 : 0
        let headerLF = lineFeed(p, from: bom, to: n)
        let headerEnd = contentEnd(p, from: bom, lineFeed: headerLF, to: n)
        guard headerEnd > bom else { return nil }
        var names: [String] = []
        var s = bom
        for k in bom...headerEnd where k == headerEnd || p[k] == 0x2C {
            names.append(String(decoding: UnsafeBufferPointer(start: p + s, count: k - s), as: UTF8.self))
            s = k + 1
        }
        guard Set(names).count == names.count else { return nil }
        let modes: [Mode] = names.map { name in
            switch types[name] ?? otherColumns {
            case .number?: return .number
            case .text?: return .text
            case nil: return .infer
            }
        }
        let dataStart = min(headerLF + 1, n)
        var starts = [dataStart]
        while let last = starts.last, last < n {
            let from = max(last, dataStart + starts.count * chunkBytes - 1)
            starts.append(from >= n ? n : min(lineFeed(p, from: from, to: n) + 1, n))
        }
        // Pass 1 reads every column as declared; pass 2 reads as text the inferred columns that
        // turned out not to be numeric.
        let first = read(p, n, starts: starts, modes: modes)
        guard first.allSatisfy(\.valid) else { return nil }
        let rows = first.reduce(0) { $0 + $1.rows }
        let textual = modes.indices.map { j in modes[j] == .infer && (rows == 0 || first.contains { $0.notNumbers[j] }) }
        var second: [Chunk] = []
        if textual.contains(true) {
            second = read(p, n, starts: starts, modes: modes.indices.map { textual[$0] ? .text : .skip })
            guard second.allSatisfy(\.valid) else { return nil }
        }
        var table = Table()
        for (j, name) in names.enumerated() {
            if modes[j] == .text || textual[j] {
                var all: [String] = []
                all.reserveCapacity(rows)
                for c in (modes[j] == .text ? first : second) { all.append(contentsOf: c.texts[j]) }
                table.append(name, .text(all))
            } else {
                var all: [Double] = []
                all.reserveCapacity(rows)
                for c in first { all.append(contentsOf: c.numbers[j]) }
                table.append(name, .number(all))
            }
        }
        return table
    }

    /// Reads the chunks between consecutive `starts` on all cores (`Parallel`), in chunk order.
    private static func read(_ p: UnsafePointer<UInt8>, _ n: Int, starts: [Int], modes: [Mode]) -> [Chunk] {
        let count = starts.count - 1
        guard count > 0 else { return [Chunk(numbers: modes.map { _ in [] }, texts: modes.map { _ in [] }, notNumbers: modes.map { _ in false })] }
        let out = UnsafeMutablePointer<Chunk>.allocate(capacity: count)
        defer { out.deinitialize(count: count); out.deallocate() }
        // Each iteration initialises its own slot only.
        Parallel.perform(iterations: count) { k in
            (out + k).initialize(to: readChunk(p, from: starts[k], to: starts[k + 1], modes: modes))
        }
        return Array(UnsafeBufferPointer(start: out, count: count))
    }

    /// The records of `p[from..<to]`, which starts a line and ends after an LF or at the file's end.
    /// Mirrors the serial reader: CRLF or LF ends a record (a lone CR is data), an empty line is
    /// skipped, a field is the bytes between commas.
    private static func readChunk(_ p: UnsafePointer<UInt8>, from: Int, to: Int, modes: [Mode]) -> Chunk {
        let width = modes.count
        let guess = (to - from) / max(1, width * 8)
        var chunk = Chunk(numbers: modes.map { m in var a: [Double] = []; if m == .number || m == .infer { a.reserveCapacity(guess) }; return a },
                          texts: modes.map { m in var a: [String] = []; if m == .text { a.reserveCapacity(guess) }; return a },
                          notNumbers: modes.map { _ in false })
        var line = from
        while line < to {
            let lf = lineFeed(p, from: line, to: to)
            let end = contentEnd(p, from: line, lineFeed: lf, to: to)
            defer { line = lf + 1 }
            if end == line { continue }
            // Fields: j counts them; each ends at a comma or at the line's end.
            var i = line
            for j in 0..<width {
                let start = i
                switch modes[j] {
                case .number, .infer:
                    i = fieldEnd(p, from: start, to: end)
                    if chunk.notNumbers[j] { break }
                    // No closure here: one capturing `i` costs a heap box per field.
                    var parsed: Double? = .nan
                    if i > start {
                        parsed = DecimalParser.parse(p, start, i)
                        if parsed == nil { parsed = CSV.number(String(decoding: UnsafeBufferPointer(start: p + start, count: i - start), as: UTF8.self)) }
                    }
                    guard let value = parsed else {
                        if modes[j] == .number { chunk.valid = false; return chunk }
                        chunk.notNumbers[j] = true
                        break
                    }
                    chunk.numbers[j].append(value)
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
